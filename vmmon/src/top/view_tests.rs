//! The view drawn into ratatui's `TestBackend`, asserted on the buffer's text.

use super::app::tests::{app_with, key};
use super::app::{App, Link};
use super::columns::Column;
use super::table::tests::{sample, view};
use super::text::width;
use super::view::draw;
use crate::view::{EventView, ProcessView, RegionView};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::style::Color;

fn screen(app: &mut App, w: u16, h: u16) -> (Vec<String>, ratatui::buffer::Buffer) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let lines = (0..h)
        .map(|y| {
            let mut line = String::new();
            let mut x = 0;
            while x < w {
                let cell = &buf[(x, y)];
                line.push_str(cell.symbol());
                // A wide character's second cell is already covered.
                x += width(cell.symbol()).max(1) as u16;
            }
            line
        })
        .collect();
    (lines, buf)
}

fn growing(pid: u32, comm: &str, per_s: i64) -> ProcessView {
    let mut v = view(pid, comm, 64 << 20, 0);
    v.growth_bytes_per_second = per_s;
    v.growth_bytes = per_s * 60;
    v
}

fn machine() -> App {
    app_with(vec![
        growing(100, "steady", 0),
        growing(200, "leaker", 10 << 20),
        growing(300, "shrinker", -(1 << 20)),
        growing(400, "slowpoke", 4096),
    ])
}

/// The data rows' pids, top to bottom (the header is the third line).
fn pids(lines: &[String]) -> Vec<u32> {
    lines[3..]
        .iter()
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn the_table_has_every_figure_with_units_and_the_totals() {
    let mut app = machine();
    let (lines, _) = screen(&mut app, 160, 12);
    assert!(lines[0].contains("vmmon top · test"), "{}", lines[0]);
    assert!(lines[1].contains("4 processes"), "{}", lines[1]);
    assert!(lines[1].contains("0 dropped"), "{}", lines[1]);
    for h in [
        "PID", "USER", "VIRT", "GROW/s", "GROW/1m", "HEAP", "ANON", "FILE", "STACK", "MAPS",
        "MMAP/s", "UNMAP/s", "PROT/s", "BRK/s", "WX", "COMMAND",
    ] {
        assert!(lines[2].contains(h), "{h} missing from {}", lines[2]);
    }
    let leaker = lines.iter().find(|l| l.contains("leaker")).unwrap();
    assert!(leaker.contains("64 MiB"), "{leaker}");
    assert!(leaker.contains("+10 MiB"), "{leaker}");
    assert!(leaker.contains("+600 MiB"), "{leaker}");
    assert!(leaker.contains("root"), "{leaker}");
    assert!(lines.last().unwrap().contains("q quit"), "the help line");
    assert!(lines.last().unwrap().contains("/ filter"));
}

#[test]
fn rows_sort_by_growth_and_by_any_column_chosen_with_keys() {
    let mut app = machine();
    let (lines, _) = screen(&mut app, 120, 12);
    assert_eq!(
        pids(&lines),
        [200, 400, 100, 300],
        "growth per second, largest first"
    );
    assert!(lines[1].contains("sort GROW/s ↓"), "{}", lines[1]);
    app.key(key(KeyCode::Char('r')));
    let (lines, _) = screen(&mut app, 120, 12);
    assert_eq!(pids(&lines), [300, 100, 400, 200]);
    // Walk the sort to COMMAND (the last column) with `>`.
    app.key(key(KeyCode::Char('n')));
    while app.sort != Column::Comm {
        app.key(key(KeyCode::Char('>')));
    }
    let (lines, _) = screen(&mut app, 120, 12);
    assert_eq!(pids(&lines), [200, 300, 400, 100], "names A to Z");
    assert!(lines[1].contains("sort COMMAND ↑"), "{}", lines[1]);
}

#[test]
fn the_filter_narrows_by_name_or_pid_as_it_is_typed() {
    let mut app = machine();
    app.key(key(KeyCode::Char('/')));
    for c in "LEAK".chars() {
        app.key(key(KeyCode::Char(c)));
    }
    let (lines, _) = screen(&mut app, 100, 12);
    assert_eq!(pids(&lines), [200]);
    assert!(lines.last().unwrap().contains("filter (name or pid): LEAK"));
    app.key(key(KeyCode::Enter));
    let (lines, _) = screen(&mut app, 100, 12);
    assert!(lines[1].contains("filter \"LEAK\""), "{}", lines[1]);
    app.key(key(KeyCode::Char('/')));
    for _ in 0..4 {
        app.key(key(KeyCode::Backspace));
    }
    app.key(key(KeyCode::Char('4')));
    app.key(key(KeyCode::Enter));
    assert_eq!(pids(&screen(&mut app, 100, 12).0), [400]);
    app.key(key(KeyCode::Char('/')));
    app.key(key(KeyCode::Char('z')));
    let (lines, _) = screen(&mut app, 100, 12);
    assert!(lines.iter().any(|l| l.contains("no process matches")));
}

#[test]
fn an_exited_process_is_dimmed_then_gone() {
    let mut app = machine();
    app.update(sample(2.0, 0, vec![growing(100, "steady", 0)]), &mut |_| {
        "root".into()
    });
    let (lines, buf) = screen(&mut app, 100, 12);
    let y = lines.iter().position(|l| l.contains("leaker")).unwrap();
    let cell = &buf[(2, y as u16)];
    assert!(
        cell.modifier.contains(ratatui::style::Modifier::DIM),
        "{cell:?}"
    );
    for t in 3..6 {
        app.update(
            sample(f64::from(t), 0, vec![growing(100, "steady", 0)]),
            &mut |_| "root".into(),
        );
    }
    let (lines, _) = screen(&mut app, 100, 12);
    assert!(
        !lines.iter().any(|l| l.contains("leaker")),
        "gone after a few refreshes"
    );
    assert_eq!(pids(&lines), [100]);
}

#[test]
fn the_detail_view_shows_regions_events_and_a_sparkline() {
    let mut app = machine();
    app.selected = Some(200);
    assert_eq!(
        app.key(key(KeyCode::Enter)),
        super::app::Action::OpenDetail(200)
    );
    for (i, size) in [64u64, 80, 96, 128].iter().enumerate() {
        let mut v = growing(200, "leaker", 10 << 20);
        v.virtual_bytes = size << 20;
        app.update(sample(2.0 + i as f64, 0, vec![v]), &mut |_| "root".into());
    }
    let super::app::Mode::Detail(d) = &mut app.mode else {
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
fn a_tiny_terminal_gets_a_message_not_a_broken_table() {
    let mut app = machine();
    let (lines, _) = screen(&mut app, 30, 6);
    let text = lines.join(" ");
    assert!(text.contains("needs at least"), "{text}");
    assert!(!text.contains("PID"));
    // 80x24 is a full view.
    let (lines, _) = screen(&mut app, 80, 24);
    assert!(
        lines[2].contains("PID") && lines[2].contains("COMMAND"),
        "{}",
        lines[2]
    );
    assert!(lines.iter().all(|l| width(l) == 80));
}

#[test]
fn hostile_names_keep_the_columns_in_place() {
    let hostile = [
        "\x1b[2J\x1b[Hevil",
        "日本語のプロセス名",
        "tab\there\nnl",
        "\u{202e}desrever",
        "🦀🦀🦀🦀🦀🦀🦀🦀🦀",
    ];
    let mut views: Vec<ProcessView> = hostile
        .iter()
        .enumerate()
        .map(|(i, c)| growing(1000 + i as u32, c, 1 << 20))
        .collect();
    views.push(growing(2000, "plain", 1 << 20));
    let mut app = app_with(views);
    app.sort = Column::Pid;
    app.descending = false;
    let (lines, buf) = screen(&mut app, 80, 12);
    // Every symbol written is printable, and every row's VIRT column ends at the same cell.
    for y in 0..12u16 {
        for x in 0..80u16 {
            let s = buf[(x, y)].symbol();
            assert!(
                !s.chars().any(|c| c.is_control()),
                "control char at {x},{y}"
            );
            assert!(!s.contains('\u{202e}'), "bidi override at {x},{y}");
        }
    }
    // Cells, not characters: a wide character takes two cells and a line's text one char.
    let at = |x: u16, y: u16| buf[(x, y)].symbol().to_string();
    let find = |y: u16, word: &str| -> u16 {
        (0..80u16)
            .find(|&x| {
                word.chars()
                    .enumerate()
                    .all(|(i, c)| x + (i as u16) < 80 && at(x + i as u16, y) == c.to_string())
            })
            .unwrap_or_else(|| panic!("{word} not in the header: {}", lines[2]))
    };
    let comm_x = find(2, "COMMAND");
    let virt_end = find(2, "VIRT") + 3;
    for (y, l) in (3..9u16).zip(&lines[3..9]) {
        assert!(
            l.starts_with(|c: char| c == ' ' || c.is_ascii_digit()),
            "{l:?}"
        );
        // Every name starts in the header's COMMAND cell, after the column gap.
        assert_eq!(at(comm_x - 1, y), " ", "gap before COMMAND in {l:?}");
        assert_ne!(
            at(comm_x, y),
            " ",
            "COMMAND does not start at its cell in {l:?}"
        );
        // Every VIRT ("64 MiB", right-aligned) ends in the header's last VIRT cell.
        assert_eq!(
            (at(virt_end - 2, y), at(virt_end, y), at(virt_end + 1, y)),
            ("M".to_string(), "B".to_string(), " ".to_string()),
            "VIRT out of place in {l:?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("?[2J?[Hevil")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("日本語のプロセス")),
        "{lines:#?}"
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
    let text = super::plain::render(&app);
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
        super::app::Action::OpenExits
    );
    let super::app::Mode::Exits(x) = &mut app.mode else {
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
    assert!(matches!(app.mode, super::app::Mode::Exits(_)));
    app.key(key(KeyCode::Esc));
    let (lines, _) = screen(&mut app, 100, 24);
    assert!(lines[2].contains("PID"), "back to the table");
    assert!(lines.last().unwrap().contains("x exits"), "{lines:?}");
}

#[test]
fn res_shows_resident_memory_sorts_with_m_and_says_dash_when_unknown() {
    let mut small = growing(100, "small", 0);
    small.resident_bytes = Some(3 << 20);
    let mut big = growing(200, "big", 0);
    big.resident_bytes = Some(500 << 20);
    let unknown = growing(300, "unswept", 0);
    let mut app = app_with(vec![small, big, unknown]);
    app.key(key(KeyCode::Char('M')));
    let (lines, _) = screen(&mut app, 120, 12);
    assert!(lines[2].contains("RES"), "{}", lines[2]);
    assert_eq!(pids(&lines), [200, 100, 300], "largest resident first");
    let col = lines[2].find("RES").unwrap() + "RES".len();
    let cell = |pid: &str| {
        let l = lines
            .iter()
            .find(|l| l.trim_start().starts_with(pid))
            .unwrap();
        // Right-aligned, 7 cells, ending under the header's end.
        l[col - 7..col].trim().to_string()
    };
    assert_eq!(cell("200"), "500 MiB");
    assert_eq!(cell("100"), "3.0 MiB");
    assert_eq!(cell("300"), "-");
}
