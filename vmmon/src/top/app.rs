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

    /// Handles one key.
    pub fn key(&mut self, k: KeyEvent) -> Action {
        if k.kind == KeyEventKind::Release {
            return Action::None;
        }
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if let Some(text) = &mut self.editing {
            match k.code {
                KeyCode::Enter => self.filter = self.editing.take().unwrap_or_default(),
                KeyCode::Esc => {
                    self.editing = None;
                    self.filter.clear();
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if !c.is_control() && text.chars().count() < 32 => text.push(c),
                _ => {}
            }
            self.offset = 0;
            if self
                .selected
                .is_none_or(|p| !self.rows().iter().any(|r| r.pid == p))
            {
                self.selected = self.rows().first().map(|r| r.pid);
            }
            return Action::None;
        }
        let page = 10;
        if let Mode::Detail(d) = &mut self.mode {
            match k.code {
                KeyCode::Esc | KeyCode::Backspace | KeyCode::Left | KeyCode::Char('h') => {
                    self.mode = Mode::Table
                }
                KeyCode::Up | KeyCode::Char('k') => d.scroll = d.scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => {
                    d.scroll = (d.scroll + 1).min(d.regions.len().saturating_sub(1))
                }
                KeyCode::PageUp => d.scroll = d.scroll.saturating_sub(page),
                KeyCode::PageDown => {
                    d.scroll = (d.scroll + page).min(d.regions.len().saturating_sub(1))
                }
                KeyCode::Home | KeyCode::Char('g') => d.scroll = 0,
                KeyCode::Char('q') => return Action::Quit,
                KeyCode::Char(' ') | KeyCode::Char('p') => self.paused = !self.paused,
                _ => {}
            }
            return Action::None;
        }
        if let Mode::Exits(x) = &mut self.mode {
            let last = x.list.len().saturating_sub(1);
            match k.code {
                KeyCode::Esc
                | KeyCode::Backspace
                | KeyCode::Left
                | KeyCode::Char('h')
                | KeyCode::Char('x') => self.mode = Mode::Table,
                KeyCode::Up | KeyCode::Char('k') => x.scroll = x.scroll.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => x.scroll = (x.scroll + 1).min(last),
                KeyCode::PageUp => x.scroll = x.scroll.saturating_sub(page),
                KeyCode::PageDown => x.scroll = (x.scroll + page).min(last),
                KeyCode::Home | KeyCode::Char('g') => x.scroll = 0,
                KeyCode::Char('q') => return Action::Quit,
                KeyCode::Char(' ') | KeyCode::Char('p') => self.paused = !self.paused,
                _ => {}
            }
            return Action::None;
        }
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('x') => {
                self.mode = Mode::Exits(Exits::default());
                return Action::OpenExits;
            }
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-(page as isize)),
            KeyCode::PageDown => self.move_selection(page as isize),
            KeyCode::Home => self.move_selection(isize::MIN / 2),
            KeyCode::End => self.move_selection(isize::MAX / 2),
            KeyCode::Char('<') | KeyCode::Char(',') => self.step_sort(-1),
            KeyCode::Char('>') | KeyCode::Char('.') => self.step_sort(1),
            KeyCode::Char('r') => self.descending = !self.descending,
            KeyCode::Char('g') => self.set_sort(Column::GrowthRate),
            KeyCode::Char('m') => self.set_sort(Column::GrowthWindow),
            KeyCode::Char('v') => self.set_sort(Column::Virt),
            KeyCode::Char('M') => self.set_sort(Column::Res),
            KeyCode::Char('n') => self.set_sort(Column::Pid),
            KeyCode::Left => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::Right => {
                self.scroll = (self.scroll + 1).min(max_scroll(self.width.into()));
            }
            KeyCode::Char('/') => self.editing = Some(self.filter.clone()),
            KeyCode::Char(' ') | KeyCode::Char('p') => self.paused = !self.paused,
            KeyCode::Enter => {
                if let Some(pid) = self
                    .selected
                    .filter(|&p| self.rows().iter().any(|r| r.pid == p))
                {
                    self.mode = Mode::Detail(Detail {
                        pid,
                        ..Detail::default()
                    });
                    return Action::OpenDetail(pid);
                }
            }
            _ => {}
        }
        Action::None
    }
}

#[cfg(test)]
mod tests;
