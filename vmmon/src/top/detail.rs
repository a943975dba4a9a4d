//! One process in detail: its figures, a sparkline of its virtual size, its regions like
//! `pmap -X`, and its events as they arrive. Pure drawing, like the table.

use super::app::{App, Detail, Mode};
use super::text::{fit, rate, sanitize, signed_size, size, truncate, width};
use super::theme::Theme;
use crate::trace::WallClock;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};

pub fn draw(f: &mut Frame, app: &App, theme: Theme, area: Rect) {
    let Mode::Detail(d) = &app.mode else {
        return;
    };
    let [figures, spark_label, spark, sites, regions, events] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(SITE_ROWS as u16 + 1),
        Constraint::Percentage(45),
        Constraint::Min(3),
    ])
    .areas(area);
    f.render_widget(figures_line(app, d, theme), figures);
    let history = app.table.history(d.pid);
    let (lo, hi) = history
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let label = if history.is_empty() {
        "virtual size: no samples yet".to_string()
    } else {
        format!(
            "virtual size, last {} samples: {} .. {}",
            history.len(),
            size(lo),
            size(hi)
        )
    };
    f.render_widget(Paragraph::new(label).style(theme.dim()), spark_label);
    // Drawn above the smallest value seen, so that a change small next to the total shows.
    let base = lo.saturating_sub((hi - lo.min(hi)) / 8);
    let start = history.len().saturating_sub(spark.width as usize);
    let data: Vec<u64> = history[start..].iter().map(|v| v - base.min(*v)).collect();
    f.render_widget(
        Sparkline::default().data(&data).style(theme.growing()),
        spark,
    );
    draw_sites(f, d, theme, sites);
    draw_regions(f, d, theme, regions);
    draw_events(f, d, theme, events);
}

/// Call sites shown in the detail view.
const SITE_ROWS: usize = 4;

/// The top call sites: bytes, mappings, the caller, and who called it.
fn draw_sites(f: &mut Frame, d: &Detail, theme: Theme, area: Rect) {
    let w = area.width as usize;
    let Some(s) = &d.sites else {
        let state = match d.withheld {
            Some(_) => "Call sites: not shown (another user's process; below)",
            None => "Call sites: fetching...",
        };
        f.render_widget(Paragraph::new(state).style(theme.dim()), area);
        return;
    };
    let mut lines = vec![Line::styled(
        truncate(
            &format!(
                "{:>7} {:>4}  Top call sites (captured: {}; `vmmon maps {} --by-site` for all)",
                "Bytes", "Maps", s.call_sites, s.pid
            ),
            w,
        ),
        theme.header(),
    )];
    let named: Vec<_> = s.sites.iter().filter(|x| x.site.is_some()).collect();
    if named.is_empty() {
        let why = if s.call_sites == "off" {
            "call sites are not captured (pipeline.call_sites = \"off\")"
        } else {
            "no captured call holds any of its mappings"
        };
        lines.push(Line::styled(why, theme.dim()));
    }
    for site in named.into_iter().take(SITE_ROWS) {
        let mut frames = site.frames.iter().map(|fr| match &fr.function {
            Some(name) => format!("{name}+{:#x}", fr.function_offset.unwrap_or(0)),
            None => fr.text(),
        });
        let caller = frames.next().unwrap_or_else(|| "(frames not known)".into());
        let mut text = format!(
            "{:>7} {:>4}  {}",
            size(site.bytes),
            site.regions,
            sanitize(&caller)
        );
        if let Some(up) = frames.next() {
            text.push_str(&format!(" <- {}", sanitize(&up)));
        }
        let fitted = if width(&text) > w {
            fit(&text, w, false)
        } else {
            text
        };
        lines.push(Line::raw(fitted));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn figures_line(app: &App, d: &Detail, theme: Theme) -> Paragraph<'static> {
    let Some(r) = app.table.row(d.pid) else {
        return Paragraph::new(format!("pid {}: not in the ledger", d.pid)).style(theme.alarm());
    };
    let mut first = vec![
        Span::styled(format!("{} {} ", r.pid, r.comm), theme.header()),
        Span::raw(format!(
            "({})  virt {}  {}/s  {} over the window  {} maps",
            r.user,
            size(r.virt),
            signed_size(r.growth_per_s),
            signed_size(r.growth_window),
            r.maps
        )),
    ];
    if r.wx > 0 {
        first.push(Span::styled(format!("  W+X {}", size(r.wx)), theme.wx()));
    }
    if d.gone {
        first.push(Span::styled("  EXITED", theme.alarm()));
    }
    if let Some(busy) = r.in_flight {
        let now = crate::clock::monotonic_ns();
        let age = busy
            .since_ns
            .filter(|&t| t <= now)
            .map_or(String::new(), |t| {
                format!(" for {:.1} s", (now - t) as f64 / 1e9)
            });
        first.push(Span::styled(
            format!(
                "  {} call(s) in the kernel{age}: regions may lag",
                busy.calls
            ),
            theme.alarm(),
        ));
    }
    let second = format!(
        "heap {} anon {} file {} stack {}  calls/s: mmap {} munmap {} mprotect {} brk {}",
        size(r.heap),
        size(r.anon),
        size(r.file),
        size(r.stack),
        rate(r.rates.mmap),
        rate(r.rates.munmap),
        rate(r.rates.mprotect),
        rate(r.rates.brk),
    );
    let third = match &r.refused {
        Some(refused) => Line::styled(refused_text(refused), theme.alarm()),
        None => Line::styled("no call refused", theme.dim()),
    };
    Paragraph::new(vec![Line::from(first), Line::raw(second), third])
}

/// The calls the kernel refused a process: the latest, and how many since the first.
fn refused_text(r: &crate::view::RefusedView) -> String {
    let now = crate::clock::monotonic_ns();
    let ago = |t: u64| now.saturating_sub(t) as f64 / 1e9;
    let c = &r.latest;
    let then = match (c.virtual_bytes, c.mapping_count) {
        (Some(v), Some(m)) => format!(", it had {} in {m} maps", size(v)),
        _ => String::new(),
    };
    let mut s = format!(
        "refused: {} of {} {} {:.1} s ago{then}",
        c.call,
        size(c.bytes),
        c.error,
        ago(c.at_ns)
    );
    if r.first != r.latest {
        s.push_str(&format!(
            "; first: {} of {} {:.1} s ago",
            r.first.call,
            size(r.first.bytes),
            ago(r.first.at_ns)
        ));
    }
    s
}

fn draw_regions(f: &mut Frame, d: &Detail, theme: Theme, area: Rect) {
    let mut lines = vec![Line::styled(
        format!(
            "{:>16} {:>7} {:<4} {:<8} {:>8} Mapping ({} regions)",
            "Address",
            "Size",
            "Perm",
            "Kind",
            "Offset",
            d.regions.len()
        ),
        theme.header(),
    )];
    if let Some(why) = &d.withheld {
        let why = sanitize(why);
        lines.push(Line::styled(
            format!("No regions shown: {why}"),
            theme.dim(),
        ));
        let wrapped = Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true });
        f.render_widget(wrapped, area);
        return;
    }
    let rows = area.height.saturating_sub(1) as usize;
    let start = d.scroll.min(d.regions.len().saturating_sub(rows));
    for r in d.regions.iter().skip(start).take(rows) {
        let path = sanitize(r.path.as_deref().unwrap_or(""));
        let text = format!(
            "{:>16x} {:>7} {:<4} {:<8} {:>8x} {path}",
            r.start,
            size(r.end - r.start),
            sanitize(&r.perms),
            sanitize(&r.kind),
            r.offset
        );
        let style = if r.perms.contains('w') && r.perms.contains('x') {
            theme.wx()
        } else {
            Default::default()
        };
        lines.push(Line::styled(truncate(&text, area.width.into()), style));
    }
    f.render_widget(Paragraph::new(lines), area);
}

fn draw_events(f: &mut Frame, d: &Detail, theme: Theme, area: Rect) {
    let mut title = format!("Events of pid {} (newest last)", d.pid);
    if d.missed {
        title.push_str(" · some were missed: the machine is busier than the event ring holds");
    }
    let mut lines = vec![Line::styled(
        truncate(&title, area.width.into()),
        theme.header(),
    )];
    let rows = area.height.saturating_sub(1) as usize;
    if d.events.is_empty() {
        lines.push(Line::styled("none since the view opened", theme.dim()));
    }
    let clock = WallClock::now();
    let skip = d.events.len().saturating_sub(rows);
    for e in d.events.iter().skip(skip) {
        let mut t = String::new();
        clock.write(&mut t, e.ts_ns);
        let text = format!("{t} {:>7} {}", e.tid, sanitize(&e.text));
        let w = area.width as usize;
        let style = if e.failed {
            theme.dim()
        } else {
            Default::default()
        };
        let fitted = if width(&text) > w {
            fit(&text, w, false)
        } else {
            text
        };
        lines.push(Line::styled(fitted, style));
    }
    f.render_widget(Paragraph::new(lines), area);
}
