use super::*;
use crate::fixtures::{app_with, key, view};

#[test]
fn keys_sort_filter_select_and_open_a_process() {
    let mut app = app_with(vec![
        view(10, "small", 4096, 0),
        view(20, "big", 1 << 30, 0),
        view(30, "bigger", 2 << 30, 0),
    ]);
    app.key(key(KeyCode::Char('v')));
    let pids = |a: &App| a.rows().iter().map(|r| r.pid).collect::<Vec<_>>();
    assert_eq!(pids(&app), [30, 20, 10]);
    app.key(key(KeyCode::Char('r')));
    assert_eq!(pids(&app), [10, 20, 30]);
    app.key(key(KeyCode::Char('/')));
    for c in "BIG".chars() {
        app.key(key(KeyCode::Char(c)));
    }
    assert_eq!(pids(&app), [20, 30], "the filter applies as it is typed");
    app.key(key(KeyCode::Enter));
    assert_eq!(app.filter, "BIG");
    app.key(key(KeyCode::Char('/')));
    app.key(key(KeyCode::Backspace));
    app.key(key(KeyCode::Backspace));
    app.key(key(KeyCode::Backspace));
    app.key(key(KeyCode::Char('3')));
    app.key(key(KeyCode::Enter));
    assert_eq!(pids(&app), [30], "a number filters by pid");
    app.key(key(KeyCode::Esc));
    assert_eq!(pids(&app).len(), 3, "Esc clears the filter");
    app.selected = Some(10);
    app.key(key(KeyCode::Down));
    assert_eq!(app.selected, Some(20));
    assert_eq!(app.key(key(KeyCode::Enter)), Action::OpenDetail(20));
    assert!(matches!(app.mode, Mode::Detail(Detail { pid: 20, .. })));
    app.key(key(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Table));
    app.key(key(KeyCode::Char(' ')));
    assert!(app.paused);
    app.key(key(KeyCode::Char('>')));
    assert_eq!(app.sort, Column::Res, "virt's right neighbour");
    app.key(key(KeyCode::Char('>')));
    assert_eq!(app.sort, Column::GrowthRate, "res's right neighbour");
    assert_eq!(app.key(key(KeyCode::Char('q'))), Action::Quit);
}

/// A region of one page, the `i`th.
fn region(i: u64) -> crate::view::RegionView {
    crate::view::RegionView {
        start: i << 12,
        end: (i + 1) << 12,
        perms: "rw-p".into(),
        kind: "anon".into(),
        path: None,
        offset: 0,
        origin: "mmap".into(),
        changes: 0,
        sites: Vec::new(),
    }
}

#[test]
fn the_detail_and_exits_views_scroll_and_close_by_their_keys() {
    let mut app = app_with(vec![view(10, "a", 4096, 0), view(20, "b", 8192, 0)]);
    assert_eq!(app.key(key(KeyCode::Enter)), Action::OpenDetail(10));
    let Mode::Detail(d) = &mut app.mode else {
        panic!("not in detail")
    };
    d.regions = (0..30).map(region).collect();
    let scroll = |a: &App| match &a.mode {
        Mode::Detail(d) => d.scroll,
        Mode::Exits(x) => x.scroll,
        Mode::Table => panic!("back in the table"),
    };
    for (code, want) in [
        (KeyCode::Char('j'), 1),
        (KeyCode::Down, 2),
        (KeyCode::PageDown, 12),
        (KeyCode::Char('k'), 11),
        (KeyCode::Up, 10),
        (KeyCode::PageUp, 0),
        (KeyCode::End, 0),
        (KeyCode::Char('x'), 0),
        (KeyCode::PageDown, 10),
        (KeyCode::PageDown, 20),
        (KeyCode::PageDown, 29),
        (KeyCode::Down, 29),
        (KeyCode::Char('g'), 0),
        (KeyCode::PageDown, 10),
        (KeyCode::Home, 0),
    ] {
        assert_eq!(app.key(key(code)), Action::None, "{code:?}");
        assert_eq!(scroll(&app), want, "{code:?}");
    }
    app.key(key(KeyCode::Char('p')));
    assert!(app.paused, "pauses from the detail view");
    assert_eq!(app.key(key(KeyCode::Char('q'))), Action::Quit);
    for back in [KeyCode::Left, KeyCode::Char('h'), KeyCode::Backspace] {
        app.key(key(KeyCode::Enter));
        app.key(key(back));
        assert!(matches!(app.mode, Mode::Table), "{back:?}");
    }
    assert_eq!(app.key(key(KeyCode::Char('x'))), Action::OpenExits);
    let Mode::Exits(x) = &mut app.mode else {
        panic!("not in exits")
    };
    let gone = view(30, "c", 4096, 0);
    x.list = (0..3)
        .map(|i| crate::fixtures::exit_of(&gone, i, 4096))
        .collect();
    for (code, want) in [
        (KeyCode::PageDown, 2),
        (KeyCode::Char('k'), 1),
        (KeyCode::Char('g'), 0),
    ] {
        app.key(key(code));
        assert_eq!(scroll(&app), want, "{code:?}");
    }
    app.key(key(KeyCode::Char('x')));
    assert!(matches!(app.mode, Mode::Table), "x closes the exits");
    app.key(key(KeyCode::Char('x')));
    app.key(key(KeyCode::Esc));
    assert!(matches!(app.mode, Mode::Table), "Esc closes the exits");
}

#[test]
fn the_table_moves_the_selection_and_scrolls_sideways() {
    let views = (1..=15).map(|i| view(i, "p", u64::from(i) << 20, 0));
    let mut app = app_with(views.collect());
    app.key(key(KeyCode::Char('n')));
    let pids: Vec<u32> = app.rows().iter().map(|r| r.pid).collect();
    assert_eq!(pids[..2], [1, 2], "by pid, ascending");
    for (code, want) in [
        (KeyCode::End, 15),
        (KeyCode::PageUp, 5),
        (KeyCode::Home, 1),
        (KeyCode::PageDown, 11),
        (KeyCode::Char('k'), 10),
    ] {
        app.key(key(code));
        assert_eq!(app.selected, Some(want), "{code:?}");
    }
    app.key(key(KeyCode::Right));
    app.key(key(KeyCode::Right));
    app.key(key(KeyCode::Left));
    assert_eq!(app.scroll, 1.min(super::max_scroll(app.width.into())));
    app.key(key(KeyCode::Char('g')));
    assert_eq!(app.sort, Column::GrowthRate, "g sorts in the table");
}
