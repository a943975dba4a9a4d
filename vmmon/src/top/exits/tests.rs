use super::*;
use crate::view::ExitView;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn screen(list: &[ExitView], scroll: usize, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        let area = f.area();
        draw_list(
            f,
            list,
            scroll,
            &WallClock::monotonic(),
            Theme { color: false },
            area,
        )
    })
    .unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

fn exit(pid: u32, comm: &str, figures: bool) -> ExitView {
    ExitView {
        pid,
        comm: comm.into(),
        unit: figures.then(|| "build.service".into()),
        start_ns: 1_000_000_000,
        exit_ns: 3_500_000_000,
        lifetime_seconds: 2.5,
        peak_virtual_bytes: figures.then_some(300 << 20),
        peak_resident_bytes: figures.then_some(12 << 20),
        mapping_count: figures.then_some(57),
        counts: Default::default(),
        ids: None,
        cause: figures.then(|| crate::event::ExitCause::of(9, true)),
        refused: None,
        sites: Vec::new(),
        held: None,
    }
}

#[test]
fn lifetimes_fit_nine_cells() {
    for (s, want) in [
        (0.25, "0.25s"),
        (42.0, "42s"),
        (184.0, "3m04s"),
        (7500.0, "2h05m"),
        (273_600.0, "3d04h"),
        (-1.0, "0.00s"),
    ] {
        assert_eq!(lifetime(s), want);
        assert!(lifetime(s).len() <= 9);
    }
}

#[test]
fn each_exit_shows_its_footprint_and_a_dash_where_the_kernel_gave_none() {
    let list = [exit(42, "cc1\u{1b}[2J", true), exit(7, "sh", false)];
    let s = screen(&list, 0, 120, 6);
    assert!(s[0].starts_with("2 recent exits, newest first"), "{s:?}");
    assert!(
        s[1].contains("PEAK VIRT") && s[1].contains("PEAK RES"),
        "{s:?}"
    );
    let first: Vec<&str> = s[2].split_whitespace().collect();
    assert_eq!(
        &first[1..],
        [
            "42",
            "cc1?[2J",
            "oom_kill",
            "2.50s",
            "300",
            "MiB",
            "12",
            "MiB",
            "57",
            "build.service"
        ],
        "{s:?}"
    );
    let second: Vec<&str> = s[3].split_whitespace().collect();
    assert_eq!(
        &second[1..],
        ["7", "sh", "-", "2.50s", "-", "-", "-", "-"],
        "{s:?}"
    );
    // The columns line up under their headers.
    let col = |line: &str, at: &str| line.find(at).unwrap() + at.len();
    assert_eq!(col(&s[1], "PEAK VIRT"), col(&s[2], "300 MiB"), "{s:?}");
    assert_eq!(col(&s[1], "PEAK RES"), col(&s[2], "12 MiB"), "{s:?}");
    assert_eq!(col(&s[1], "MAPS"), col(&s[2], " 57"), "{s:?}");
}

#[test]
fn an_empty_list_says_so_and_a_long_one_scrolls() {
    let s = screen(&[], 0, 80, 5);
    assert!(s[2].contains("no process has exited"), "{s:?}");
    let list: Vec<ExitView> = (0..10).map(|i| exit(100 + i, "w", true)).collect();
    let s = screen(&list, 4, 80, 5);
    let pids: Vec<&str> = s[2..]
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(pids, ["104", "105", "106"]);
    // Scrolled past the end, the last rows stay in view.
    let s = screen(&list, 50, 80, 5);
    assert!(s[4].contains(" 109 "), "{s:?}");
}
