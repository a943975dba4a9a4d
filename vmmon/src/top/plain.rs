//! `vmmon top --once`: the table as plain text, every column, no colors or escapes (for
//! scripts and for people without a terminal). Pure.

use super::app::App;
use super::columns::Column;
use super::text::{fit, rate, size};
use std::fmt::Write as _;

/// The source line, the totals line, the header and one line per process (as sorted and
/// filtered in `app`).
pub fn render(app: &App) -> String {
    let t = app.table.header();
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
    // Every column at its width, one space apart, without trailing blanks.
    let line = |cell: &dyn Fn(Column) -> String| {
        let cells: Vec<String> = Column::ALL
            .iter()
            .map(|&c| fit(&cell(c), c.width(), c.right_aligned()))
            .collect();
        cells.join(" ").trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&|c| c.header(t.window_s)));
    for r in app.rows() {
        let _ = writeln!(out, "{}", line(&|c| c.cell(r)));
    }
    out
}
