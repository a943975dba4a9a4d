//! Drawing the view: the title bar, the machine totals, the process table (or a process's
//! detail) and the help line; or a plain message when the terminal is too small. Pure: it
//! draws into whatever backend the frame has (the tests use ratatui's `TestBackend`).

use super::app::{App, Link, Mode};
use super::columns::{Column, visible};
use super::table::Row;
use super::text::{fit, rate, size, width};
use super::theme::Theme;
use super::{detail, exits};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, Wrap};

/// The smallest terminal the view draws in.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 10;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &mut App) {
    let area = f.area();
    app.width = area.width;
    let theme = Theme { color: app.color };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "vmmon top: this terminal is {}x{}; it needs at least {MIN_WIDTH}x{MIN_HEIGHT}. \
             Enlarge it, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).wrap(Wrap { trim: true }), area);
        return;
    }
    let [title, totals, body, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(title_bar(app, theme, title.width.into()), title);
    f.render_widget(totals_line(app, theme), totals);
    match &app.mode {
        Mode::Table => {
            draw_table(f, app, theme, body);
            f.render_widget(help_line(app, theme, TABLE_KEYS, help.width.into()), help);
        }
        Mode::Detail(_) => {
            detail::draw(f, app, theme, body);
            f.render_widget(help_line(app, theme, DETAIL_KEYS, help.width.into()), help);
        }
        Mode::Exits(_) => {
            exits::draw(f, app, theme, body);
            f.render_widget(help_line(app, theme, EXITS_KEYS, help.width.into()), help);
        }
    }
}

fn title_bar(app: &App, theme: Theme, cells: usize) -> Paragraph<'static> {
    let left = format!(" vmmon top · {} ", app.source);
    let mut right = format!(" every {}s ", app.interval_s);
    let mut style = theme.title();
    if app.paused {
        right = format!(" PAUSED ·{right}");
    }
    if matches!(app.link, Link::Down { .. }) {
        style = theme.alarm();
        right = format!(" NOT ANSWERING ·{right}");
    }
    let pad = cells.saturating_sub(width(&left) + width(&right));
    let text = fit(&(left + &" ".repeat(pad) + &right), cells, false);
    Paragraph::new(text).style(style)
}

fn totals_line(app: &App, theme: Theme) -> Paragraph<'static> {
    if let Link::Down { error, since_s } = &app.link {
        let down_s = (app.now_s - since_s).max(0.0);
        return Paragraph::new(format!(
            "not answering for {down_s:.0}s ({error}); retrying every {}s, the figures below are from before",
            app.interval_s
        ))
        .style(theme.alarm());
    }
    let t = app.table.header();
    let mut spans = vec![
        Span::styled(format!("{}", t.processes), theme.header()),
        Span::raw(" processes  "),
        Span::styled(size(t.virt), theme.header()),
        Span::raw(" virtual  "),
        Span::styled(rate(t.events_per_s), theme.header()),
        Span::raw(" events/s  "),
        Span::styled(
            t.dropped.to_string(),
            if t.dropped > 0 {
                theme.alarm()
            } else {
                theme.header()
            },
        ),
        Span::raw(" dropped  "),
        Span::raw(format!(
            "sort {} {}",
            app.sort.header(t.window_s),
            if app.descending { "↓" } else { "↑" }
        )),
    ];
    if t.bootstrap_pending > 0 {
        spans.push(Span::raw(format!(
            "  reading /proc: {} left",
            t.bootstrap_pending
        )));
    }
    if !app.filter.is_empty() && app.editing.is_none() {
        spans.push(Span::raw(format!("  filter \"{}\"", app.filter)));
    }
    Paragraph::new(Line::from(spans))
}

/// Most important first: what does not fit the width is left out.
const TABLE_KEYS: &[(&str, &str)] = &[
    ("q", "quit"),
    ("⏎", "detail"),
    ("x", "exits"),
    ("<>", "sort"),
    ("r", "reverse"),
    ("/", "filter"),
    ("space", "pause"),
    ("←→", "columns"),
    (
        "g m v M n",
        "sort by growth/s, growth/window, virt, resident, pid",
    ),
];

const EXITS_KEYS: &[(&str, &str)] = &[
    ("esc", "back"),
    ("↑↓ PgUp PgDn", "scroll"),
    ("space", "pause"),
    ("q", "quit"),
];

const DETAIL_KEYS: &[(&str, &str)] = &[
    ("esc", "back"),
    ("↑↓ PgUp PgDn", "scroll regions"),
    ("space", "pause"),
    ("q", "quit"),
];

fn help_line(app: &App, theme: Theme, keys: &[(&str, &str)], cells: usize) -> Paragraph<'static> {
    if let Some(text) = &app.editing {
        return Paragraph::new(Line::from(vec![
            Span::styled("filter (name or pid): ", theme.key()),
            Span::raw(format!("{text}█")),
            Span::styled("  ⏎ apply  esc clear", theme.dim()),
        ]));
    }
    let mut spans = Vec::new();
    let mut left = cells;
    for (k, what) in keys {
        let what = format!(" {what}  ");
        let need = width(k) + width(&what);
        if need > left + 2 {
            break;
        }
        left = left.saturating_sub(need);
        spans.push(Span::styled(k.to_string(), theme.key()));
        spans.push(Span::raw(what));
    }
    Paragraph::new(Line::from(spans))
}

fn cell_style(theme: Theme, col: Column, r: &Row) -> ratatui::style::Style {
    match col {
        Column::GrowthRate | Column::GrowthWindow => {
            let g = if col == Column::GrowthRate {
                r.growth_per_s
            } else {
                r.growth_window
            };
            match g {
                g if g > 0 => theme.growing(),
                g if g < 0 => theme.shrinking(),
                _ => Default::default(),
            }
        }
        Column::Wx if r.wx > 0 => theme.wx(),
        _ => Default::default(),
    }
}

fn draw_table(f: &mut Frame, app: &mut App, theme: Theme, area: Rect) {
    let window_s = app.table.header().window_s;
    let cols = visible(area.width.into(), app.scroll, app.sort);
    let header = TableRow::new(cols.iter().map(|&c| {
        let style = if c == app.sort {
            theme.sorted_header()
        } else {
            theme.header()
        };
        Cell::from(fit(&c.header(window_s), c.width(), c.right_aligned())).style(style)
    }));
    let rows = app.rows();
    let capacity = area.height.saturating_sub(1) as usize;
    let at = app
        .selected
        .and_then(|p| rows.iter().position(|r| r.pid == p));
    // Keep the selected row on screen.
    let mut offset = app.offset.min(rows.len().saturating_sub(capacity));
    if let Some(i) = at {
        if i < offset {
            offset = i;
        } else if i >= offset + capacity {
            offset = i + 1 - capacity;
        }
    }
    let body: Vec<TableRow> = rows
        .iter()
        .skip(offset)
        .take(capacity)
        .map(|r| {
            let row = TableRow::new(cols.iter().map(|&c| {
                Cell::from(fit(&c.cell(r), c.width(), c.right_aligned()))
                    .style(cell_style(theme, c, r))
            }));
            let mut style = Default::default();
            if r.exited.is_some() {
                style = theme.exited();
            }
            if Some(r.pid) == app.selected {
                style = style.patch(theme.selected());
            }
            row.style(style)
        })
        .collect();
    let empty = rows.is_empty();
    drop(rows);
    app.offset = offset;
    let widths: Vec<Constraint> = cols
        .iter()
        .map(|c| Constraint::Length(c.width() as u16))
        .collect();
    f.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        area,
    );
    if empty && area.height > 2 {
        let msg = if app.filter.is_empty() && app.editing.is_none() {
            "no processes yet".to_string()
        } else {
            "no process matches the filter (esc clears it)".to_string()
        };
        let y = Rect {
            y: area.y + 1,
            height: 1,
            ..area
        };
        f.render_widget(Paragraph::new(msg).style(theme.dim()), y);
    }
}
