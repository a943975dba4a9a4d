//! The screens around the table: a process's detail, the recent exits, the title when the
//! source is gone, no colour, and `--once`'s plain text.

use super::*;

#[test]
fn the_detail_view_shows_regions_events_and_a_sparkline() {
    let mut app = machine();
    app.selected = Some(200);
    assert_eq!(
        app.key(key(KeyCode::Enter)),
        crate::top::app::Action::OpenDetail(200)
    );
    for (i, size) in [64u64, 80, 96, 128].iter().enumerate() {
        let mut v = growing(200, "leaker", 10 << 20);
        v.virtual_bytes = size << 20;
        app.update(sample(2.0 + i as f64, 0, vec![v]), &mut |_| "root".into());
    }
    let crate::top::app::Mode::Detail(d) = &mut app.mode else {
        panic!("not in detail")
    };
    d.regions = vec![
        RegionView {
            start: 0x5555_0000_0000,
            end: 0x5555_0000_2000,
            perms: "r-xp".into(),
            kind: "file".into(),
            path: Some("/usr/bin/leaker".into()),
            offset: 0,
            origin: "procfs".into(),
            changes: 0,
            sites: Vec::new(),
        },
        RegionView {
            start: 0x7f00_0000_0000,
            end: 0x7f00_0400_0000,
            perms: "rw-p".into(),
            kind: "anon".into(),
            path: None,
            offset: 0,
            origin: "mmap".into(),
            changes: 0,
            sites: Vec::new(),
        },
    ];
    d.add_events(
        7,
        false,
        vec![EventView {
            seq: 7,
            ts_ns: 1,
            tid: 201,
            name: "mmap".into(),
            failed: false,
            text: "mmap(NULL, 1048576, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000".into(),
        }],
    );
    let (lines, buf) = screen(&mut app, 100, 24);
    let text = lines.join("\n");
    assert!(lines[2].contains("200 leaker"), "{}", lines[2]);
    assert!(text.contains("Address"), "{text}");
    assert!(text.contains("55550000000"), "{text}");
    assert!(text.contains("/usr/bin/leaker"), "{text}");
    assert!(text.contains("64 MiB"), "{text}");
    assert!(text.contains("r-xp"), "{text}");
    assert!(text.contains("Events of pid 200"), "{text}");
    assert!(text.contains("mmap(NULL, 1048576"), "{text}");
    assert!(
        text.contains("virtual size, last 5 samples: 64 MiB .. 128 MiB"),
        "{text}"
    );
    // The sparkline's bars rise to the right.
    let spark_y = 5u16;
    let bars: String = (0..5)
        .map(|x| buf[(x, spark_y + 1)].symbol().to_string())
        .collect();
    assert_ne!(bars.trim(), "", "sparkline bottom row: {bars:?}");
    assert!(lines.last().unwrap().contains("esc back"));
    app.key(key(KeyCode::Esc));
    let (lines, _) = screen(&mut app, 100, 24);
    assert!(lines[2].contains("PID"), "back to the table");
}

#[test]
fn another_users_process_shows_its_figures_and_why_no_regions() {
    let mut app = machine();
    app.selected = Some(200);
    app.key(key(KeyCode::Enter));
    app.update(
        sample(2.0, 0, vec![growing(200, "leaker", 10 << 20)]),
        &mut |_| "root".into(),
    );
    let crate::top::app::Mode::Detail(d) = &mut app.mode else {
        panic!("not in detail")
    };
    d.withheld = Some("pid 200 is not yours: its regions ... are shown only to root".into());
    let (lines, _) = screen(&mut app, 60, 24);
    let text = lines.join("\n");
    assert!(
        lines[2].contains("200 leaker"),
        "the figures stay: {}",
        lines[2]
    );
    assert!(
        text.contains("No regions shown: pid 200 is not yours"),
        "{text}"
    );
    assert!(
        text.contains("shown only to root"),
        "wrapped, not cut: {text}"
    );
}

#[test]
fn a_dead_source_is_said_in_the_title_and_data_is_kept() {
    let mut app = machine();
    app.failed("connection refused".into(), 10.0);
    app.now_s = 14.0;
    let (lines, _) = screen(&mut app, 120, 12);
    assert!(lines[0].contains("NOT ANSWERING"), "{}", lines[0]);
    assert!(
        lines[1].contains("not answering for 4s (connection refused); retrying every 1s"),
        "{}",
        lines[1]
    );
    assert_eq!(pids(&lines).len(), 4, "the last data stays");
    app.update(sample(15.0, 0, vec![growing(1, "x", 0)]), &mut |_| {
        "root".into()
    });
    assert_eq!(app.link, Link::Up);
}

#[test]
fn no_color_means_no_color_at_all() {
    let mut app = machine();
    app.color = false;
    let (_, buf) = screen(&mut app, 120, 12);
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    app.color = true;
    let (_, buf) = screen(&mut app, 120, 12);
    assert!(
        buf.content()
            .iter()
            .any(|c| c.fg != Color::Reset || c.bg != Color::Reset)
    );
}

#[test]
fn once_prints_every_column_as_plain_text() {
    let app = machine();
    let text = crate::top::plain::render(&app);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("vmmon top · test · 4 processes"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("BRK/s") && lines[1].contains("COMMAND"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("leaker"),
        "sorted by growth: {}",
        lines[2]
    );
    assert!(!text.contains('\x1b'));
}

#[test]
fn x_opens_the_recent_exits_and_esc_comes_back() {
    let mut app = machine();
    assert_eq!(
        app.key(key(KeyCode::Char('x'))),
        crate::top::app::Action::OpenExits
    );
    let crate::top::app::Mode::Exits(x) = &mut app.mode else {
        panic!("not in the exits view")
    };
    x.list = vec![crate::view::ExitView {
        pid: 4242,
        comm: "cc1plus".into(),
        unit: None,
        start_ns: 0,
        exit_ns: 5_000_000_000,
        lifetime_seconds: 5.0,
        peak_virtual_bytes: Some(900 << 20),
        peak_resident_bytes: Some(400 << 20),
        mapping_count: Some(88),
        counts: Default::default(),
        ids: None,
        cause: None,
        refused: None,
        sites: Vec::new(),
        held: None,
    }];
    let (lines, _) = screen(&mut app, 100, 24);
    let text = lines.join("\n");
    assert!(text.contains("1 recent exits, newest first"), "{text}");
    assert!(
        lines[4].contains("4242") && lines[4].contains("900 MiB") && lines[4].contains("400 MiB"),
        "{text}"
    );
    assert!(lines.last().unwrap().contains("esc back"), "{text}");
    // The keys that move in the table do not leave it.
    app.key(key(KeyCode::Down));
    assert!(matches!(app.mode, crate::top::app::Mode::Exits(_)));
    app.key(key(KeyCode::Esc));
    let (lines, _) = screen(&mut app, 100, 24);
    assert!(lines[2].contains("PID"), "back to the table");
    assert!(lines.last().unwrap().contains("x exits"), "{lines:?}");
}
