//! What the ledger's owner publishes: an immutable picture of every process, its regions,
//! the recent events and the agent's accounting, swapped in whole after each drain and tick.
//! Readers (the API, `/metrics`, `vmmon top`) hold one as long as they like; the owner never
//! waits for them and they never wait for the owner.

use super::events::{EventLog, EventsView};
use super::process::{ProcessView, RegionView, region_view};
use super::status::Status;
use crate::event::Syscall;
use crate::ledger::RegionMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// One process: its view and its regions as of the snapshot.
#[derive(Clone, Debug)]
pub struct ProcessEntry {
    pub view: ProcessView,
    pub regions: RegionMap,
}

/// Calls of one syscall, by result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub ok: u64,
    pub error: u64,
}

/// Calls of each traced syscall on the machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyscallTotals {
    pub mmap: Outcomes,
    pub munmap: Outcomes,
    pub mremap: Outcomes,
    pub mprotect: Outcomes,
    pub pkey_mprotect: Outcomes,
    pub brk: Outcomes,
}

impl SyscallTotals {
    fn of(&mut self, s: Syscall) -> &mut Outcomes {
        match s {
            Syscall::Mmap => &mut self.mmap,
            Syscall::Munmap => &mut self.munmap,
            Syscall::Mremap => &mut self.mremap,
            Syscall::Mprotect => &mut self.mprotect,
            Syscall::PkeyMprotect => &mut self.pkey_mprotect,
            Syscall::Brk => &mut self.brk,
        }
    }

    /// Counts one call.
    pub fn count(&mut self, s: Syscall, failed: bool) {
        let o = self.of(s);
        if failed {
            o.error += 1;
        } else {
            o.ok += 1;
        }
    }

    /// Every syscall with its counts.
    pub fn iter(&self) -> impl Iterator<Item = (Syscall, Outcomes)> {
        let mut copy = *self;
        Syscall::ALL.into_iter().map(move |s| (s, *copy.of(s)))
    }
}

/// Machine-wide figures from the event stream.
#[derive(Clone, Debug, Default)]
pub struct MachineTotals {
    pub syscalls: SyscallTotals,
    /// Bytes mapped on the machine (mmap, mremap growth).
    pub bytes_mapped: u64,
    /// Bytes unmapped on the machine (munmap, mremap shrink).
    pub bytes_unmapped: u64,
    /// eBPF programs attached.
    pub programs_attached: u64,
}

/// A histogram of the time between two drains of the ring: how long events waited at most.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DrainGaps {
    /// Drains measured.
    pub count: u64,
    pub sum_seconds: f64,
    /// The longest gap seen.
    pub longest_ms: u64,
    /// Cumulative counts: gaps of at most `le_ms`.
    pub buckets: Vec<GapBucket>,
}

/// One bucket of [`DrainGaps`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapBucket {
    pub le_ms: u64,
    pub count: u64,
}

impl DrainGaps {
    /// The upper bounds of the buckets, in milliseconds.
    pub const BOUNDS_MS: [u64; 10] = [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

    /// Counts one gap.
    pub fn record(&mut self, gap: Duration) {
        if self.buckets.is_empty() {
            self.buckets = Self::BOUNDS_MS
                .iter()
                .map(|&le_ms| GapBucket { le_ms, count: 0 })
                .collect();
        }
        let ms = gap.as_secs_f64() * 1e3;
        for b in &mut self.buckets {
            if ms <= b.le_ms as f64 {
                b.count += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += gap.as_secs_f64();
        self.longest_ms = self.longest_ms.max(gap.as_millis() as u64);
    }
}

/// The published picture.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Every process whose address space is known in full, by pid. (A process whose maps
    /// are still being read is left out: half a picture would be a wrong one.)
    pub processes: imbl::OrdMap<u32, Arc<ProcessEntry>>,
    pub status: Status,
    pub totals: MachineTotals,
    pub events: EventLog,
    /// `CLOCK_MONOTONIC` seconds when it was published.
    pub published_s: f64,
}

impl Snapshot {
    /// Every process, by pid.
    pub fn process_views(&self) -> Vec<ProcessView> {
        self.processes.values().map(|p| p.view.clone()).collect()
    }

    /// One process.
    pub fn process(&self, pid: u32) -> Option<&ProcessView> {
        self.processes.get(&pid).map(|p| &p.view)
    }

    /// A process's regions in address order.
    pub fn maps(&self, pid: u32) -> Option<Vec<RegionView>> {
        let p = self.processes.get(&pid)?;
        Some(p.regions.values().map(region_view).collect())
    }

    /// A process's events after `since`, at most `limit` of the newest.
    pub fn events(&self, pid: u32, since: u64, limit: usize) -> EventsView {
        self.events.of(pid, since, limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_fall_in_cumulative_buckets() {
        let mut g = DrainGaps::default();
        g.record(Duration::from_millis(8));
        g.record(Duration::from_millis(120));
        let count = |le| g.buckets.iter().find(|b| b.le_ms == le).unwrap().count;
        assert_eq!((count(5), count(10), count(100), count(200)), (0, 1, 1, 2));
        assert_eq!((g.count, g.longest_ms), (2, 120));
    }

    #[test]
    fn syscall_totals_count_by_result() {
        let mut t = SyscallTotals::default();
        t.count(Syscall::Brk, false);
        t.count(Syscall::Mmap, true);
        let all: Vec<_> = t.iter().collect();
        assert_eq!(all.len(), Syscall::ALL.len());
        assert_eq!(t.brk, Outcomes { ok: 1, error: 0 });
        assert_eq!(t.mmap, Outcomes { ok: 0, error: 1 });
    }
}
