//! The view's state and what each key does to it. Pure: the terminal loop feeds it samples
//! and keys, and carries out the few [`Action`]s that need a source.

use super::columns::{Column, max_scroll};
use super::table::{Row, Sample, Table};
use crate::view::{EventView, ExitView, RegionView};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use std::collections::VecDeque;

/// Events kept in the detail view.
pub const DETAIL_EVENTS: usize = 200;

/// Where the data comes from, and whether it is flowing.
#[derive(Clone, Debug, PartialEq)]
pub enum Link {
    Up,
    /// The last attempt failed: what went wrong, and when data last came.
    Down {
        error: String,
        since_s: f64,
    },
}

/// One process opened with Enter.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    pub pid: u32,
    pub regions: Vec<RegionView>,
    /// Its call sites, most bytes first (when fetched).
    pub sites: Option<crate::symbolize::ProcessSites>,
    pub events: VecDeque<EventView>,
    /// The last event sequence number seen.
    pub next: u64,
    /// Some events were pushed out of the source's ring before they were read.
    pub missed: bool,
    /// The first region row shown.
    pub scroll: usize,
    /// The ledger no longer has it.
    pub gone: bool,
    /// Why its regions, call sites and events are not shown (another user's process, as
    /// its `/proc/PID/maps` is not): the agent's words.
    pub withheld: Option<String>,
}

impl Detail {
    /// Takes in newly arrived events, keeping the last [`DETAIL_EVENTS`].
    pub fn add_events(&mut self, next: u64, missed: bool, events: Vec<EventView>) {
        self.missed |= missed;
        self.next = next.max(self.next);
        for e in events {
            if self.events.len() == DETAIL_EVENTS {
                self.events.pop_front();
            }
            self.events.push_back(e);
        }
    }
}

/// The processes that left most recently, opened with `x`.
#[derive(Clone, Debug, Default)]
pub struct Exits {
    /// Newest first.
    pub list: Vec<ExitView>,
    /// The first row shown.
    pub scroll: usize,
}

#[derive(Clone, Debug)]
pub enum Mode {
    Table,
    Detail(Detail),
    Exits(Exits),
}

/// What the loop must do after a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    /// Fetch the new detail view's regions and events now.
    OpenDetail(u32),
    /// Fetch the recent exits now.
    OpenExits,
}

/// Everything on screen.
pub struct App {
    pub table: Table,
    pub source: String,
    pub link: Link,
    pub sort: Column,
    pub descending: bool,
    pub filter: String,
    /// The filter being typed, while it is.
    pub editing: Option<String>,
    pub paused: bool,
    pub selected: Option<u32>,
    /// The first row shown.
    pub offset: usize,
    /// Sideways scroll of the unpinned columns.
    pub scroll: usize,
    pub mode: Mode,
    pub interval_s: f64,
    pub color: bool,
    /// The width last drawn at (for the sideways scroll's limit).
    pub width: u16,
    /// Seconds on the sources' clock, as of the last refresh or draw.
    pub now_s: f64,
}

impl App {
    pub fn new(source: String, sort: Column, interval_s: f64, color: bool) -> Self {
        Self {
            table: Table::new(),
            source,
            link: Link::Up,
            sort,
            descending: sort.descending_by_default(),
            filter: String::new(),
            editing: None,
            paused: false,
            selected: None,
            offset: 0,
            scroll: 0,
            mode: Mode::Table,
            interval_s,
            color,
            width: 80,
            now_s: 0.0,
        }
    }

    /// A sample arrived; `user` names a uid.
    pub fn update(&mut self, sample: Sample, user: &mut dyn FnMut(u32) -> String) {
        self.table.update(sample, user);
        self.link = Link::Up;
        if let Mode::Detail(d) = &mut self.mode {
            d.gone = self.table.row(d.pid).is_none_or(|r| r.exited.is_some());
        }
        if self.selected.is_none_or(|p| self.table.row(p).is_none()) {
            self.selected = self.rows().first().map(|r| r.pid);
        }
    }

    /// A fetch failed at `now_s`.
    pub fn failed(&mut self, error: String, now_s: f64) {
        let since_s = match &self.link {
            Link::Down { since_s, .. } => *since_s,
            Link::Up => now_s,
        };
        self.link = Link::Down { error, since_s };
    }

    fn matches(&self, r: &Row) -> bool {
        let f = self.editing.as_deref().unwrap_or(&self.filter).trim();
        if f.is_empty() {
            return true;
        }
        r.pid.to_string().starts_with(f) || r.comm.to_lowercase().contains(&f.to_lowercase())
    }

    /// The rows shown: filtered, sorted (ties by pid).
    pub fn rows(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.table.rows().filter(|r| self.matches(r)).collect();
        rows.sort_by(|a, b| {
            let o = self.sort.compare(a, b);
            let o = if self.descending { o.reverse() } else { o };
            o.then(a.pid.cmp(&b.pid))
        });
        rows
    }

    fn move_selection(&mut self, by: isize) {
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let at = self
            .selected
            .and_then(|p| rows.iter().position(|r| r.pid == p))
            .unwrap_or(0);
        let to = (at as isize + by).clamp(0, rows.len() as isize - 1) as usize;
        self.selected = Some(rows[to].pid);
    }

    fn set_sort(&mut self, c: Column) {
        if c == self.sort {
            self.descending = !self.descending;
        } else {
            self.sort = c;
            self.descending = c.descending_by_default();
        }
    }

    fn step_sort(&mut self, by: isize) {
        let all = Column::ALL;
        let at = all.iter().position(|&c| c == self.sort).unwrap_or(0) as isize;
        let to = (at + by).rem_euclid(all.len() as isize) as usize;
        self.sort = all[to];
        self.descending = all[to].descending_by_default();
    }

    /// Handles one key: Ctrl-C, then the filter being typed, then the keys of every view
    /// (quit, pause), then those of the view shown.
    pub fn key(&mut self, k: KeyEvent) -> Action {
        if k.kind == KeyEventKind::Release {
            return Action::None;
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if self.editing.is_some() {
            self.filter_key(k.code);
            return Action::None;
        }
        if k.code == QUIT {
            return Action::Quit;
        }
        if PAUSE.contains(&k.code) {
            self.paused = !self.paused;
            return Action::None;
        }
        match self.mode {
            Mode::Table => return self.table_key(k.code),
            Mode::Detail(_) => self.detail_key(k.code),
            Mode::Exits(_) => self.exits_key(k.code),
        }
        Action::None
    }

    /// A key while the filter is typed: Enter keeps it, Esc clears it; the selection stays
    /// on a row shown.
    fn filter_key(&mut self, code: KeyCode) {
        let Some(text) = &mut self.editing else {
            return;
        };
        match code {
            KeyCode::Enter => self.filter = self.editing.take().unwrap_or_default(),
            KeyCode::Esc => {
                self.editing = None;
                self.filter.clear();
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !c.is_control() && text.chars().count() < FILTER_MAX_CHARS => {
                text.push(c)
            }
            _ => {}
        }
        self.offset = 0;
        if self
            .selected
            .is_none_or(|p| !self.rows().iter().any(|r| r.pid == p))
        {
            self.selected = self.rows().first().map(|r| r.pid);
        }
    }

    /// A key in the table: move the selection, sort, filter, scroll sideways, open a process
    /// or the exits.
    fn table_key(&mut self, code: KeyCode) -> Action {
        if let Some(step) = Step::of(code) {
            self.move_selection(match step {
                Step::By(rows) => rows,
                Step::Top => isize::MIN / 2,
            });
            return Action::None;
        }
        if let KeyCode::Char(c) = code
            && let Some(&(_, column)) = SORT_KEYS.iter().find(|(k, _)| *k == c)
        {
            self.set_sort(column);
            return Action::None;
        }
        match code {
            EXITS => {
                self.mode = Mode::Exits(Exits::default());
                return Action::OpenExits;
            }
            KeyCode::Enter => return self.open_selected(),
            KeyCode::Esc => self.filter.clear(),
            KeyCode::End => self.move_selection(isize::MAX / 2),
            KeyCode::Char('<') | KeyCode::Char(',') => self.step_sort(-1),
            KeyCode::Char('>') | KeyCode::Char('.') => self.step_sort(1),
            KeyCode::Char('r') => self.descending = !self.descending,
            KeyCode::Left => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::Right => self.scroll = (self.scroll + 1).min(max_scroll(self.width.into())),
            KeyCode::Char('/') => self.editing = Some(self.filter.clone()),
            _ => {}
        }
        Action::None
    }

    /// Opens the selected process in the detail view, when it is shown.
    fn open_selected(&mut self) -> Action {
        let shown = |p: &u32| self.rows().iter().any(|r| r.pid == *p);
        let Some(pid) = self.selected.filter(shown) else {
            return Action::None;
        };
        self.mode = Mode::Detail(Detail {
            pid,
            ..Detail::default()
        });
        Action::OpenDetail(pid)
    }

    /// A key in the detail view: back to the table, or scroll its regions.
    fn detail_key(&mut self, code: KeyCode) {
        let Mode::Detail(d) = &mut self.mode else {
            return;
        };
        if BACK.contains(&code) {
            self.mode = Mode::Table;
        } else if let Some(step) = Step::in_list(code) {
            d.scroll = step.scrolled(d.scroll, d.regions.len().saturating_sub(1));
        }
    }

    /// A key in the exits view: back to the table (`x` too), or scroll the list.
    fn exits_key(&mut self, code: KeyCode) {
        let Mode::Exits(x) = &mut self.mode else {
            return;
        };
        if BACK.contains(&code) || code == EXITS {
            self.mode = Mode::Table;
        } else if let Some(step) = Step::in_list(code) {
            x.scroll = step.scrolled(x.scroll, x.list.len().saturating_sub(1));
        }
    }
}

/// Quits, from every view.
const QUIT: KeyCode = KeyCode::Char('q');
/// Pause and resume the updates, from every view.
const PAUSE: [KeyCode; 2] = [KeyCode::Char(' '), KeyCode::Char('p')];
/// Opens the recent exits from the table, and closes them.
const EXITS: KeyCode = KeyCode::Char('x');
/// Leave the detail or the exits view for the table.
const BACK: [KeyCode; 4] = [
    KeyCode::Esc,
    KeyCode::Backspace,
    KeyCode::Left,
    KeyCode::Char('h'),
];
/// Sort the table by a column (again: the other way).
const SORT_KEYS: [(char, Column); 5] = [
    ('g', Column::GrowthRate),
    ('m', Column::GrowthWindow),
    ('v', Column::Virt),
    ('M', Column::Res),
    ('n', Column::Pid),
];
/// Rows a page key moves.
const PAGE: isize = 10;
/// The longest filter that can be typed, in characters.
const FILTER_MAX_CHARS: usize = 32;

/// A move in a list: by rows (negative: up), or to its top.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    By(isize),
    Top,
}

impl Step {
    /// The moves every list shares: up and down (and `k`, `j`) a row, a page, Home to the top.
    fn of(code: KeyCode) -> Option<Step> {
        Some(match code {
            KeyCode::Up | KeyCode::Char('k') => Step::By(-1),
            KeyCode::Down | KeyCode::Char('j') => Step::By(1),
            KeyCode::PageUp => Step::By(-PAGE),
            KeyCode::PageDown => Step::By(PAGE),
            KeyCode::Home => Step::Top,
            _ => return None,
        })
    }

    /// In the lists that do not sort (detail, exits), `g` goes to the top too.
    fn in_list(code: KeyCode) -> Option<Step> {
        match code {
            KeyCode::Char('g') => Some(Step::Top),
            _ => Step::of(code),
        }
    }

    /// The first line shown after the move from `at`, down to `last` at most.
    fn scrolled(self, at: usize, last: usize) -> usize {
        match self {
            Step::By(up) if up < 0 => at.saturating_sub(up.unsigned_abs()),
            Step::By(down) => (at + down as usize).min(last),
            Step::Top => 0,
        }
    }
}

#[cfg(test)]
mod tests;
