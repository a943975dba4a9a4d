//! The processes that left most recently, newest first: when, how long they lived, and the
//! footprint the kernel gave at the end (peak virtual and resident size, mappings). Pure
//! drawing, like the table.

use super::app::{App, Mode};
use super::text::{sanitize, size, truncate};
use super::theme::Theme;
use crate::trace::WallClock;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub fn draw(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let Mode::Exits(x) = &app.mode else {
        return;
    };
    draw_list(f, &x.list, x.scroll, &WallClock::now(), theme, area);
}

fn draw_list(
    f: &mut Frame,
    list: &[crate::view::ExitView],
    scroll: usize,
    clock: &WallClock,
    theme: Theme,
    area: Rect,
) {
    let cells = area.width as usize;
    let mut lines = vec![
        Line::styled(
            truncate(
                &format!(
                    "{} recent exits, newest first (footprints as the kernel gave them)",
                    list.len()
                ),
                cells,
            ),
            theme.header(),
        ),
        Line::styled(
            truncate(
                &format!(
                    "{:<15} {:>7} {:<15} {:<14} {:>9} {:>9} {:>9} {:>6} UNIT",
                    "EXITED", "PID", "COMMAND", "CAUSE", "LIVED", "PEAK VIRT", "PEAK RES", "MAPS"
                ),
                cells,
            ),
            theme.header(),
        ),
    ];
    if list.is_empty() {
        lines.push(Line::styled(
            "no process has exited since the agent started",
            theme.dim(),
        ));
    }
    let rows = area.height.saturating_sub(2) as usize;
    let start = scroll.min(list.len().saturating_sub(rows));
    let dash = || "-".to_string();
    for x in list.iter().skip(start).take(rows) {
        let mut at = String::new();
        clock.write(&mut at, x.exit_ns);
        let text = format!(
            "{at:<15} {:>7} {:<15} {:<14} {:>9} {:>9} {:>9} {:>6} {}",
            x.pid,
            truncate(&sanitize(&x.comm), 15),
            truncate(&x.cause.as_ref().map_or_else(dash, |c| c.text()), 14),
            lifetime(x.lifetime_seconds),
            x.peak_virtual_bytes.map_or_else(dash, size),
            x.peak_resident_bytes.map_or_else(dash, size),
            x.mapping_count.map_or_else(dash, |m| m.to_string()),
            sanitize(x.unit.as_deref().unwrap_or("-")),
        );
        let text = truncate(&text, cells);
        // An OOM kill stands out.
        lines.push(match &x.cause {
            Some(c) if c.is_oom_kill() => Line::styled(text, theme.alarm()),
            _ => Line::raw(text),
        });
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// A lifetime in at most 9 cells: `0.25s`, `42s`, `3m04s`, `2h05m`, `3d04h`.
pub fn lifetime(s: f64) -> String {
    let whole = s.max(0.0) as u64;
    match whole {
        0..10 => format!("{:.2}s", s.max(0.0)),
        10..60 => format!("{whole}s"),
        60..3600 => format!("{}m{:02}s", whole / 60, whole % 60),
        3600..86400 => format!("{}h{:02}m", whole / 3600, whole % 3600 / 60),
        _ => format!("{}d{:02}h", whole / 86400, whole % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
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
}
