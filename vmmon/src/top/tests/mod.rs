//! The view drawn into ratatui's `TestBackend`, asserted on the buffer's text:
//!
//! - [`table`]: the process table (figures, sorting, the filter, exits, hostile names);
//! - [`screens`]: the detail and exits screens, the title, colour and plain output.

mod screens;
mod table;

use crate::fixtures::{app_with, key, sample, view};
use crate::top::app::{App, Link};
use crate::top::columns::Column;
use crate::top::text::width;
use crate::top::view::draw;
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
