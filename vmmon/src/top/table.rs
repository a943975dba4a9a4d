//! The process table's data: one row per process from the latest sample, with per-second
//! syscall rates from the change since the sample before, a short history of each process's
//! virtual size (for the sparkline), and processes that exited kept for a few refreshes. Pure.

use super::text::sanitize;
use crate::ledger::CallCounts;
use crate::view::{ProcessView, Status};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Refreshes an exited process stays on screen, dimmed.
pub const EXITED_REFRESHES: u8 = 3;
/// Virtual-size samples kept per process for its sparkline.
pub const HISTORY: usize = 120;

/// What a source gives at each refresh.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Seconds on a monotonic clock when it was taken.
    pub at: f64,
    pub processes: Vec<ProcessView>,
    pub status: Status,
}

/// Calls per second of the syscalls the table shows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates {
    pub mmap: f64,
    pub munmap: f64,
    pub mprotect: f64,
    pub brk: f64,
}

impl Rates {
    /// The rates between two counts `seconds` apart. A count that went down is a new
    /// process under a reused pid, or a restarted agent: no rate this time.
    fn between(before: &CallCounts, now: &CallCounts, seconds: f64) -> Self {
        let r = |b: u64, n: u64| n.saturating_sub(b) as f64 / seconds;
        Self {
            mmap: r(before.mmap, now.mmap),
            munmap: r(before.munmap, now.munmap),
            mprotect: r(before.mprotect, now.mprotect),
            brk: r(before.brk, now.brk),
        }
    }
}

/// One process as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub pid: u32,
    pub user: String,
    /// Safe to print.
    pub comm: String,
    pub virt: u64,
    /// Resident memory, when the agent has swept it.
    pub res: Option<u64>,
    pub growth_per_s: i64,
    pub growth_window: i64,
    pub heap: u64,
    pub anon: u64,
    pub file: u64,
    pub stack: u64,
    pub maps: usize,
    /// Calls per second.
    pub rates: Rates,
    pub wx: u64,
    /// Refreshes since it exited; `None` while it runs.
    pub exited: Option<u8>,
    /// Its traced calls still in the kernel (its regions may lag until they return).
    pub in_flight: Option<crate::view::InFlightView>,
    /// The calls the kernel refused it (the first and the latest).
    pub refused: Option<Box<crate::view::RefusedView>>,
}

/// Machine-wide figures for the header line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    pub events_per_s: f64,
    pub dropped: u64,
    pub processes: usize,
    pub virt: u64,
    /// Processes still being read at start-up.
    pub bootstrap_pending: usize,
    /// The window of `growth_window`, in seconds.
    pub window_s: u64,
}

/// The table and what it remembers between samples.
#[derive(Debug, Default)]
pub struct Table {
    rows: BTreeMap<u32, Row>,
    /// The previous sample's time and cumulative calls per pid.
    prev: Option<(f64, HashMap<u32, CallCounts>)>,
    prev_events: Option<(f64, u64)>,
    history: HashMap<u32, VecDeque<u64>>,
    header: Header,
}

impl Table {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes in a new sample; `user` names a uid.
    pub fn update(&mut self, sample: Sample, user: &mut dyn FnMut(u32) -> String) {
        let prev = self.prev.take();
        let mut now_calls = HashMap::with_capacity(sample.processes.len());
        let mut rows = BTreeMap::new();
        for p in &sample.processes {
            let mut rates = Rates::default();
            if let Some((t0, before)) = &prev
                && let Some(b) = before.get(&p.pid)
                && sample.at > *t0
            {
                rates = Rates::between(b, &p.calls, sample.at - t0);
            }
            now_calls.insert(p.pid, p.calls);
            let h = self.history.entry(p.pid).or_default();
            if h.len() == HISTORY {
                h.pop_front();
            }
            h.push_back(p.virtual_bytes);
            rows.insert(
                p.pid,
                Row {
                    pid: p.pid,
                    user: p.uid.map_or_else(|| "?".into(), |u| sanitize(&user(u))),
                    comm: sanitize(&p.comm),
                    virt: p.virtual_bytes,
                    res: p.resident_bytes,
                    growth_per_s: p.growth_bytes_per_second,
                    growth_window: p.growth_bytes,
                    heap: p.bytes_by_kind.heap,
                    anon: p.bytes_by_kind.anon,
                    file: p.bytes_by_kind.file,
                    stack: p.bytes_by_kind.stack,
                    maps: p.mapping_count,
                    rates,
                    wx: p.wx_bytes,
                    exited: None,
                    in_flight: p.in_flight,
                    refused: p.refused.clone().map(Box::new),
                },
            );
        }
        // The ones that left stay a few refreshes, dimmed, with nothing moving.
        for (pid, mut row) in std::mem::take(&mut self.rows) {
            if rows.contains_key(&pid) {
                continue;
            }
            let n = row.exited.map_or(1, |n| n + 1);
            if n <= EXITED_REFRESHES {
                row.exited = Some(n);
                row.rates = Rates::default();
                row.growth_per_s = 0;
                rows.insert(pid, row);
            }
        }
        self.history.retain(|pid, _| rows.contains_key(pid));
        self.rows = rows;
        let events = sample.status.events_received;
        let events_per_s = match self.prev_events {
            Some((t0, e0)) if sample.at > t0 && events >= e0 => {
                (events - e0) as f64 / (sample.at - t0)
            }
            _ => 0.0,
        };
        self.prev_events = Some((sample.at, events));
        self.header = Header {
            events_per_s,
            dropped: sample.status.kernel.dropped(),
            processes: sample.processes.len(),
            virt: sample.processes.iter().map(|p| p.virtual_bytes).sum(),
            bootstrap_pending: sample.status.bootstrap_pending,
            window_s: sample.status.growth_window_seconds,
        };
        self.prev = Some((sample.at, now_calls));
    }

    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    pub fn row(&self, pid: u32) -> Option<&Row> {
        self.rows.get(&pid)
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The process's virtual size at each refresh, oldest first.
    pub fn history(&self, pid: u32) -> Vec<u64> {
        self.history
            .get(&pid)
            .map_or_else(Vec::new, |h| h.iter().copied().collect())
    }
}

#[cfg(test)]
mod tests;
