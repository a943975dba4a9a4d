//! Making an address space what a `/proc` snapshot says, with the events since replayed on
//! top; refusing snapshots that cannot be trusted; counting what had to change, by cause.

use super::apply::apply_call;
use super::book::Ledger;
use super::counters::Cause;
use super::diff::{Difference, differences};
use super::region::{Region, RegionKind};
use super::space::AddressSpace;

/// What a snapshot of `/proc/PID/maps` said, and when it was taken.
#[derive(Clone, Debug, Default)]
pub struct MapsRead {
    pub regions: Vec<Region>,
    /// `start_brk` from `/proc/PID/stat` (0 if unknown).
    pub start_brk: u64,
    /// `CLOCK_MONOTONIC` ns just before the file was read: events stamped at or after it
    /// may not be in it and are replayed on top.
    pub taken_ns: u64,
    /// `CLOCK_MONOTONIC` ns just after it was read (0: unknown). The kernel does not read maps
    /// atomically: a change made during the read can be half in it (a region moved to a lower
    /// address can be missed at both ends), so a snapshot during which the process changed
    /// its mappings is refused and read again.
    pub done_ns: u64,
}

/// A change stamped this long after a read ended may still have happened during it (the
/// thread may have been preempted before its exit tracepoint).
const TORN_MARGIN_NS: u64 = 5_000_000;

/// What [`Ledger::reconcile`] did with a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconciled {
    /// The address space is now the snapshot plus the events since.
    Applied,
    /// The process is not tracked (it exited meanwhile).
    Untracked,
    /// Taken before the address space began (an exec replaced it): the exec asked for a newer one.
    Stale,
    /// The process changed its mappings while it was read: read it again.
    Torn,
}

/// Why a snapshot was read, for the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// The round robin's check for drift.
    Periodic,
    /// A check against the kernel's figures found the ledger wrong.
    Targeted,
    /// Anything else: a first read (bootstrap, exec, a process first seen), an effect only
    /// `/proc` shows, a process gone missing from a sweep.
    Other,
}

impl Ledger {
    /// Makes `tgid`'s address space what the snapshot says, replaying the events stamped
    /// after it was taken, and counts what had to change; or refuses the snapshot (see
    /// [`Reconciled`]). With `accept_torn`, a snapshot the process changed during is used
    /// anyway (after repeated tries: what it misses, later checks correct and count).
    pub fn reconcile(
        &mut self,
        tgid: u32,
        snap: MapsRead,
        (accept_torn, why): (bool, Why),
    ) -> Reconciled {
        let Some(p) = self.procs.get_mut(&tgid) else {
            return Reconciled::Untracked;
        };
        let Some(shared) = self.spaces.get_mut(&p.space) else {
            return Reconciled::Untracked;
        };
        if snap.taken_ns < shared.created_ns {
            self.counters.stale_snapshots += 1;
            return Reconciled::Stale;
        }
        let torn = shared.log.as_ref().is_some_and(|log| {
            !log.covers(snap.taken_ns)
                || (snap.done_ns != 0 && log.tears(snap.taken_ns, snap.done_ns + TORN_MARGIN_NS))
        });
        if torn && !accept_torn {
            self.counters.torn_snapshots += 1;
            return Reconciled::Torn;
        }
        if !shared.unfilled {
            p.checks += 1;
        }
        let space_id = p.space;
        let mut rebuilt = AddressSpace::from_regions(snap.regions);
        let heap_end = rebuilt
            .regions()
            .find(|r| r.kind == RegionKind::Heap)
            .map(|r| r.end);
        if snap.start_brk != 0 {
            rebuilt.brk_start = Some(snap.start_brk);
            rebuilt.brk = Some(heap_end.unwrap_or(snap.start_brk));
        }
        for (call, ev) in shared.log.take().unwrap_or_default().since(snap.taken_ns) {
            apply_call(&mut rebuilt, &ev, call);
        }
        // Who made what is still mapped where it was: the read does not say. (After the
        // replay, both describe the same moment.)
        rebuilt.inherit_sites(&shared.space);
        let diffs = differences(&shared.space.coalesced(), &rebuilt.coalesced());
        if shared.unfilled {
            self.counters.fills += 1;
        } else {
            let exact = diffs.is_empty();
            match why {
                Why::Periodic => {
                    self.counters.resyncs += 1;
                    self.counters.resyncs_exact += u64::from(exact);
                }
                Why::Targeted => {
                    self.counters.targeted_resyncs += 1;
                    self.counters.targeted_exact += u64::from(exact);
                }
                Why::Other => {}
            }
            let relaid = exact && shared.space.mappings() != rebuilt.mappings();
            if !exact || relaid {
                p.corrected += 1;
            }
            if relaid {
                *self.counters.corrections.entry(Cause::Layout).or_default() += 1;
            }
            let stacks: Vec<(u64, u64)> = rebuilt
                .regions()
                .filter(|r| r.kind == RegionKind::Stack)
                .map(|r| (r.start, r.end))
                .collect();
            let mut seen = Vec::new();
            for (s, e, d) in diffs {
                let in_stack = stacks.iter().any(|&(a, b)| s < b && a < e);
                let cause = match d {
                    Difference::Missing if in_stack => Cause::StackGrowth,
                    Difference::Missing => Cause::Unseen,
                    Difference::Extra => Cause::Stale,
                    Difference::Perms => Cause::Perms,
                };
                *self.counters.corrected_bytes.entry(cause).or_default() += e - s;
                if !seen.contains(&cause) {
                    seen.push(cause);
                    *self.counters.corrections.entry(cause).or_default() += 1;
                }
            }
        }
        // The snapshot's regions are the kernel's mappings as they are: its layout is now
        // the ledger's, and its calls so far are in it.
        shared.space.replace_regions(&rebuilt);
        shared.space.brk_start = rebuilt.brk_start;
        shared.space.brk = rebuilt.brk;
        shared.unfilled = false;
        self.touch_space(space_id, tgid);
        Reconciled::Applied
    }
}
