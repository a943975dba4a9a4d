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
mod tests;
