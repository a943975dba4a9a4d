//! `vmmon top --once`: the table as plain text, every column, no colors or escapes (for
//! scripts and for people without a terminal). Pure.

use super::app::App;
use super::columns::Column;
use super::text::{fit, rate, size};
use std::fmt::Write as _;

/// The source line, the totals line, the header and one line per process (as sorted and
/// filtered in `app`).
pub fn render(app: &App) -> String {
    let t = app.table.totals();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "vmmon top · {} · {} processes, {} virtual, {} events/s, {} dropped",
        app.source,
        t.processes,
        size(t.virt),
        rate(t.events_per_s),
        t.dropped
    );
    let line = |cells: Vec<String>| cells.join(" ").trim_end().to_string();
    let _ = writeln!(
        out,
        "{}",
        line(
            Column::ALL
                .iter()
                .map(|c| fit(&c.header(t.window_s), c.width(), c.right_aligned()))
                .collect()
        )
    );
    for r in app.rows() {
        let _ = writeln!(
            out,
            "{}",
            line(
                Column::ALL
                    .iter()
                    .map(|c| fit(&c.cell(r), c.width(), c.right_aligned()))
                    .collect()
            )
        );
    }
    out
}
