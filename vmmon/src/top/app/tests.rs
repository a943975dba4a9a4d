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
