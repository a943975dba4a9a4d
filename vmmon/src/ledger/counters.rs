//! The ledger's own accounting, and why a `/proc` read had to correct it.

use super::check::CheckCounters;
use super::diff::{Difference, differences};
use super::follow_up::ReadReason;
use super::region::RegionKind;
use super::space::AddressSpace;
use crate::stats::Histogram;
use std::collections::HashMap;

/// Why a resync had to correct the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The main stack grew (the kernel does it on a fault, not a syscall).
    StackGrowth,
    /// Memory mapped without a traced syscall (shmat, io_uring, a missed event).
    Unseen,
    /// Memory the ledger kept that the kernel no longer has (a missed unmap, a failed call
    /// that still changed something, events applied out of order).
    Stale,
    /// Permissions that differ (a partial mprotect failure, events out of order).
    Perms,
    /// The same ranges and permissions, split into other mappings (a split or merge the
    /// ledger did not model).
    Layout,
}

impl Cause {
    /// Every cause.
    pub const ALL: [Cause; 5] = [
        Cause::StackGrowth,
        Cause::Unseen,
        Cause::Stale,
        Cause::Perms,
        Cause::Layout,
    ];

    /// The cause of difference `d`; `in_stack` when the range is in a stack.
    fn of(d: Difference, in_stack: bool) -> Cause {
        match d {
            Difference::Missing if in_stack => Cause::StackGrowth,
            Difference::Missing => Cause::Unseen,
            Difference::Extra => Cause::Stale,
            Difference::Perms => Cause::Perms,
        }
    }

    /// The name used in the API and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Cause::StackGrowth => "stack_growth",
            Cause::Unseen => "unseen",
            Cause::Stale => "stale",
            Cause::Perms => "perms",
            Cause::Layout => "layout",
        }
    }
}

/// The ledger's own accounting (shown as `ledger` in `GET /api/v1/status`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    pub events: u64,
    pub applied: u64,
    pub failed_calls: u64,
    /// brk calls whose effect could not be known (heap start not yet known).
    pub unknown_effect: u64,
    /// Syscalls from processes the ledger did not know yet.
    pub unknown_process: u64,
    /// A new process arrived under a pid the ledger still held (its exit was missed).
    pub pid_reuse: u64,
    /// Snapshots that filled a new or unknown address space (exec, bootstrap): not drift.
    pub fills: u64,
    /// Snapshots refused because they were taken before the address space began.
    pub stale_snapshots: u64,
    /// Snapshots refused because the process changed its mappings while it was read.
    pub torn_snapshots: u64,
    /// Periodic snapshots (the round robin) that checked a live ledger for drift, and those
    /// that found it exact.
    pub resyncs: u64,
    pub resyncs_exact: u64,
    /// Snapshots read because a check found the ledger wrong (or a call still in the kernel
    /// that the figures are ahead of), and those that found nothing to correct.
    pub targeted_resyncs: u64,
    pub targeted_exact: u64,
    /// What holding the ledgers to the kernel's figures found.
    pub checks: CheckCounters,
    /// The time from a check finding a ledger wrong to one finding it exact again.
    pub repairs: Histogram,
    /// Corrections by cause: how many resyncs found each, and the bytes involved.
    pub corrections: HashMap<Cause, u64>,
    pub corrected_bytes: HashMap<Cause, u64>,
}

impl Counters {
    /// Counts a snapshot read for `reason` that checked a filled ledger: `old` is what the
    /// ledger had, `rebuilt` what the snapshot (with the calls since) says. Counts the resync
    /// by its reason and whether it was exact, and what had to change by cause; returns
    /// whether the ledger was corrected (its ranges, or only its layout).
    pub(super) fn count_resync(
        &mut self,
        reason: ReadReason,
        old: &AddressSpace,
        rebuilt: &AddressSpace,
    ) -> bool {
        let diffs = differences(&old.coalesced(), &rebuilt.coalesced());
        let exact = diffs.is_empty();
        if reason == ReadReason::Periodic {
            self.resyncs += 1;
            self.resyncs_exact += u64::from(exact);
        } else if reason.targeted() {
            self.targeted_resyncs += 1;
            self.targeted_exact += u64::from(exact);
        }
        let relaid = exact && old.mappings() != rebuilt.mappings();
        if relaid {
            *self.corrections.entry(Cause::Layout).or_default() += 1;
        }
        let stacks: Vec<(u64, u64)> = rebuilt
            .regions()
            .filter(|r| r.kind == RegionKind::Stack)
            .map(|r| (r.start, r.end))
            .collect();
        let mut seen = Vec::new();
        for (s, e, d) in diffs {
            let in_stack = stacks.iter().any(|&(a, b)| s < b && a < e);
            let cause = Cause::of(d, in_stack);
            *self.corrected_bytes.entry(cause).or_default() += e - s;
            if !seen.contains(&cause) {
                seen.push(cause);
                *self.corrections.entry(cause).or_default() += 1;
            }
        }
        !exact || relaid
    }
}
