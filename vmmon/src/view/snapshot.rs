//! What the ledger's owner publishes: an immutable picture of every process, its regions,
//! the recent events and the agent's accounting, swapped in whole after each drain and tick.
//! Readers (the API, `/metrics`, `vmmon top`) hold one as long as they like; the owner never
//! waits for them and they never wait for the owner.

use super::events::{EventLog, EventsView};
use super::process::{ProcessView, RegionView, region_view};
use super::status::Status;
use crate::event::{Kind, Syscall};
use crate::ledger::RegionMap;
use crate::ledger::page_up;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One process: its view and its regions as of the snapshot.
#[derive(Clone, Debug)]
pub struct ProcessEntry {
    pub view: ProcessView,
    pub regions: RegionMap,
    /// When it started (`CLOCK_MONOTONIC` ns), once known: the API checks that the process
    /// on its pid now is this one before it judges by that process's ids.
    pub start_ns: Option<u64>,
    /// When (`CLOCK_MONOTONIC` ns) the ledger began tracking its present image (its exec,
    /// or when it was first seen).
    pub since_ns: u64,
}

/// Calls of one syscall, by result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub ok: u64,
    pub error: u64,
}

/// Calls of each traced syscall on the machine, by [`Syscall`] in declaration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyscallTotals([Outcomes; Syscall::ALL.len()]);

impl SyscallTotals {
    /// Counts one call.
    pub fn count(&mut self, s: Syscall, failed: bool) {
        let o = &mut self.0[s as usize];
        if failed {
            o.error += 1;
        } else {
            o.ok += 1;
        }
    }

    /// One syscall's counts.
    pub fn of(&self, s: Syscall) -> Outcomes {
        self.0[s as usize]
    }

    /// Every traced syscall with its counts (zero for those not seen).
    pub fn iter(&self) -> impl Iterator<Item = (Syscall, Outcomes)> + '_ {
        Syscall::ALL.into_iter().map(|s| (s, self.of(s)))
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

impl MachineTotals {
    /// Counts a syscall event.
    pub fn count(&mut self, kind: &Kind) {
        let Some(syscall) = kind.syscall() else {
            return;
        };
        let failed = kind.errno().is_some();
        self.syscalls.count(syscall, failed);
        if failed {
            return;
        }
        match *kind {
            Kind::Mmap { len, .. } => self.bytes_mapped += page_up(len),
            Kind::Munmap { len, .. } => self.bytes_unmapped += page_up(len),
            Kind::Mremap {
                old_len, new_len, ..
            } => {
                let (old, new) = (page_up(old_len), page_up(new_len));
                if new > old {
                    self.bytes_mapped += new - old;
                } else {
                    self.bytes_unmapped += old - new;
                }
            }
            _ => {}
        }
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
    /// Processes that left lately, oldest first.
    pub exits: imbl::Vector<super::ExitView>,
    /// Counters that never go down, per group and for `other` (the owner's tally as of its
    /// last update: it updates it each second).
    pub tally: Arc<super::PublishedTally>,
    /// Every call site's frames, by id.
    pub sites: crate::ledger::SiteTable,
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

    /// The `limit` most recent exits, newest first.
    pub fn recent_exits(&self, limit: usize) -> Vec<super::ExitView> {
        self.exits.iter().rev().take(limit).cloned().collect()
    }

    /// A process's events after `since`, at most `limit` of the newest.
    pub fn events(&self, pid: u32, since: u64, limit: usize) -> EventsView {
        self.events.of(pid, since, limit)
    }
}

#[cfg(test)]
mod tests;
