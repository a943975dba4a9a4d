//! The process table: every figure with its unit, sorting, the filter, exited processes,
//! small terminals and hostile names.

use super::*;

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
