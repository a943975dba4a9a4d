//! The ledger of every process: pid -> address space, through fork, threads, exec, exit and
//! pid reuse, and the reconciliation of an address space with a `/proc` snapshot.

use super::apply::{Outcome, apply};
use super::diff::{Difference, differences};
use super::region::{Kind, Region};
use super::space::AddressSpace;
use crate::event::{Comm, Event, Kind as Ev};
use std::collections::HashMap;

/// A process the ledger tracks.
#[derive(Clone, Debug)]
pub struct Process {
    pub tgid: u32,
    pub comm: Comm,
    /// Which address space it uses (shared with threads and `CLONE_VM` children).
    pub space: u64,
    /// Syscalls seen, by kind: mmap, munmap, mremap, mprotect (with pkey_mprotect), brk.
    pub calls: [u64; 5],
    /// Calls of those that failed.
    pub failed_calls: u64,
    /// `/proc` reads that checked its filled address space, and those that had to correct it.
    pub checks: u32,
    pub corrected: u32,
    /// `CLOCK_MONOTONIC` ns of the event that made the ledger start tracking it.
    pub since_ns: u64,
    /// The container or systemd unit it runs in (from `/proc/PID/cgroup`; a fork inherits it).
    pub unit: Option<std::sync::Arc<str>>,
    /// Its effective user id (from `/proc/PID/status`; a fork inherits it).
    pub uid: Option<u32>,
}

#[derive(Clone, Debug)]
struct Shared {
    space: AddressSpace,
    users: u32,
    /// While a snapshot is awaited: the events applied since it was asked for, to replay on
    /// top of it.
    log: Option<Vec<(u64, u32, Ev)>>,
    /// Its contents so far are a placeholder until the first snapshot (after exec, or for a
    /// process first seen mid-life): filling it is not drift.
    unfilled: bool,
    /// When this address space began (its exec or fork): a snapshot taken before then shows
    /// another address space (the one before an exec) and is refused.
    created_ns: u64,
    /// Children forked from it lately, with the fork's time: an event of this space stamped
    /// before a fork but arriving after it (another thread's, late) happened before the copy,
    /// so it belongs to the child too.
    forks: Vec<(u64, u64)>,
}

/// How long a fork keeps passing its parent's late events on to the child.
const FORK_LATE_NS: u64 = 2_000_000_000;

/// Why the ledger asks for a snapshot of a process's maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A new image: the kernel builds it without syscalls.
    Exec,
    /// A process the ledger did not know (started before the agent, or a missed fork).
    Unknown,
}

/// A request for `/proc/PID/maps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub tgid: u32,
    pub reason: Reason,
}

/// What a snapshot of `/proc/PID/maps` said, and when it was taken.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
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
}

impl Cause {
    /// Every cause.
    pub const ALL: [Cause; 4] = [
        Cause::StackGrowth,
        Cause::Unseen,
        Cause::Stale,
        Cause::Perms,
    ];

    /// The name used in the API and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Cause::StackGrowth => "stack_growth",
            Cause::Unseen => "unseen",
            Cause::Stale => "stale",
            Cause::Perms => "perms",
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
    /// Snapshots that checked a live ledger for drift, and those that found it exact.
    pub resyncs: u64,
    pub resyncs_exact: u64,
    /// Corrections by cause: how many resyncs found each, and the bytes involved.
    pub corrections: HashMap<Cause, u64>,
    pub corrected_bytes: HashMap<Cause, u64>,
}

/// Every tracked process and address space.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    procs: HashMap<u32, Process>,
    spaces: HashMap<u64, Shared>,
    next_space: u64,
    counters: Counters,
}

impl Ledger {
    pub fn new() -> Self {
        Self::default()
    }

    /// The ledger's counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Processes tracked.
    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.procs.values()
    }

    /// The process `tgid`, if tracked.
    pub fn process(&self, tgid: u32) -> Option<&Process> {
        self.procs.get(&tgid)
    }

    /// Whether `tgid`'s address space is known in full: false while it waits for its first
    /// `/proc` read (after exec, or when first seen mid-life).
    pub fn is_filled(&self, tgid: u32) -> bool {
        self.procs
            .get(&tgid)
            .and_then(|p| self.spaces.get(&p.space))
            .is_some_and(|s| !s.unfilled)
    }

    /// The address space of `tgid`.
    pub fn space(&self, tgid: u32) -> Option<&AddressSpace> {
        let p = self.procs.get(&tgid)?;
        self.spaces.get(&p.space).map(|s| &s.space)
    }

    /// Number of distinct address spaces.
    pub fn space_count(&self) -> usize {
        self.spaces.len()
    }

    fn new_space(&mut self, space: AddressSpace, unfilled: bool, created_ns: u64) -> u64 {
        self.next_space += 1;
        let id = self.next_space;
        self.spaces.insert(
            id,
            Shared {
                space,
                users: 1,
                log: unfilled.then(Vec::new),
                unfilled,
                created_ns,
                forks: Vec::new(),
            },
        );
        id
    }

    fn release(&mut self, space: u64) {
        if let Some(s) = self.spaces.get_mut(&space) {
            s.users -= 1;
            if s.users == 0 {
                self.spaces.remove(&space);
            }
        }
    }

    /// Starts tracking `tgid` with an address space that a snapshot will fill. A process
    /// already under that pid is replaced: counted as pid reuse unless `exec` (the same
    /// process with a new image).
    fn track_unfilled(&mut self, tgid: u32, comm: Comm, ts_ns: u64, exec: bool) {
        let (mut unit, mut uid) = (None, None);
        if let Some(old) = self.procs.remove(&tgid) {
            if exec {
                (unit, uid) = (old.unit, old.uid);
            } else {
                self.counters.pid_reuse += 1;
            }
            self.release(old.space);
        }
        let space = self.new_space(AddressSpace::new(), true, ts_ns);
        self.procs.insert(
            tgid,
            Process {
                tgid,
                comm,
                space,
                calls: [0; 5],
                failed_calls: 0,
                checks: 0,
                corrected: 0,
                unit,
                uid,
                since_ns: ts_ns,
            },
        );
    }

    /// Starts tracking a process from a snapshot taken at start-up (bootstrap).
    pub fn insert_snapshot(&mut self, tgid: u32, comm: Comm, snap: Snapshot) {
        self.track_unfilled(tgid, comm, snap.taken_ns, false);
        self.reconcile(tgid, snap, true);
    }

    /// Applies one event; returns a snapshot request when the event left the ledger needing one.
    pub fn apply(&mut self, e: &Event) -> Option<Need> {
        self.counters.events += 1;
        match &e.kind {
            Ev::Fork {
                child_tgid,
                clone_flags,
                ..
            } => self.fork(e, *child_tgid, *clone_flags),
            Ev::Exec { .. } => {
                self.track_unfilled(e.tgid, e.comm, e.ts_ns, true);
                Some(Need {
                    tgid: e.tgid,
                    reason: Reason::Exec,
                })
            }
            Ev::Exit { group_dead } => {
                if *group_dead && let Some(p) = self.procs.remove(&e.tgid) {
                    self.release(p.space);
                }
                None
            }
            kind => self.syscall(e, kind),
        }
    }

    fn syscall(&mut self, e: &Event, kind: &Ev) -> Option<Need> {
        let mut need = None;
        if !self.procs.contains_key(&e.tgid) {
            self.counters.unknown_process += 1;
            self.track_unfilled(e.tgid, e.comm, e.ts_ns, false);
            need = Some(Need {
                tgid: e.tgid,
                reason: Reason::Unknown,
            });
        }
        let p = self.procs.get_mut(&e.tgid).expect("tracked above");
        p.comm = e.comm;
        let slot = match kind {
            Ev::Mmap { .. } => 0,
            Ev::Munmap { .. } => 1,
            Ev::Mremap { .. } => 2,
            Ev::Mprotect { .. } | Ev::PkeyMprotect { .. } => 3,
            _ => 4,
        };
        p.calls[slot] += 1;
        let shared = self
            .spaces
            .get_mut(&p.space)
            .expect("a process's space exists");
        match apply(&mut shared.space, kind, e.tid, e.ts_ns) {
            Outcome::Applied => self.counters.applied += 1,
            Outcome::Failed => {
                p.failed_calls += 1;
                self.counters.failed_calls += 1;
            }
            Outcome::Unknown => self.counters.unknown_effect += 1,
            Outcome::Ignored => {}
        }
        if let Some(log) = &mut shared.log {
            log.push((e.ts_ns, e.tid, kind.clone()));
        }
        let late_for: Vec<u64> = {
            shared
                .forks
                .retain(|&(_, ts)| e.ts_ns.saturating_sub(ts) < FORK_LATE_NS);
            shared
                .forks
                .iter()
                .filter(|&&(_, ts)| e.ts_ns < ts)
                .map(|&(child, _)| child)
                .collect()
        };
        for child in late_for {
            if let Some(c) = self.spaces.get_mut(&child) {
                apply(&mut c.space, kind, e.tid, e.ts_ns);
                if let Some(log) = &mut c.log {
                    log.push((e.ts_ns, e.tid, kind.clone()));
                }
            }
        }
        need
    }

    fn fork(&mut self, e: &Event, child: u32, flags: Option<u64>) -> Option<Need> {
        if e.is_thread() == Some(true) {
            return None;
        }
        let Some(parent) = self.procs.get(&e.tgid).cloned() else {
            self.track_unfilled(child, e.comm, e.ts_ns, false);
            return Some(Need {
                tgid: child,
                reason: Reason::Unknown,
            });
        };
        if flags.is_none() {
            self.track_unfilled(child, e.comm, e.ts_ns, false);
            return Some(Need {
                tgid: child,
                reason: Reason::Unknown,
            });
        }
        if let Some(old) = self.procs.remove(&child) {
            self.counters.pid_reuse += 1;
            self.release(old.space);
        }
        let mut need = None;
        let space = if e.shares_vm() == Some(true) {
            // vfork or a CLONE_VM child: the same address space until it execs or exits.
            let s = self.spaces.get_mut(&parent.space).expect("parent's space");
            s.users += 1;
            parent.space
        } else {
            let src = &self.spaces[&parent.space];
            // Shares the parent's region map until either side changes it.
            let copy = src.space.clone();
            let unfilled = src.unfilled;
            if unfilled {
                // The parent's own snapshot has not come yet, and the child will not get it:
                // the child needs one of its own.
                need = Some(Need {
                    tgid: child,
                    reason: Reason::Unknown,
                });
            }
            let id = self.new_space(copy, unfilled, e.ts_ns);
            let src = self.spaces.get_mut(&parent.space).expect("parent's space");
            if src.forks.len() >= 64 {
                src.forks.remove(0);
            }
            src.forks.push((id, e.ts_ns));
            id
        };
        self.procs.insert(
            child,
            Process {
                tgid: child,
                comm: parent.comm,
                space,
                calls: [0; 5],
                failed_calls: 0,
                checks: 0,
                corrected: 0,
                unit: parent.unit.clone(),
                uid: parent.uid,
                since_ns: e.ts_ns,
            },
        );
        need
    }

    /// Makes `tgid`'s address space what the snapshot says, replaying the events stamped
    /// after it was taken, and counts what had to change; or refuses the snapshot (see
    /// [`Reconciled`]). With `accept_torn`, a snapshot the process changed during is used
    /// anyway (after repeated tries: what it misses, later checks correct and count).
    pub fn reconcile(&mut self, tgid: u32, snap: Snapshot, accept_torn: bool) -> Reconciled {
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
        let torn = snap.done_ns != 0
            && shared.log.as_ref().is_some_and(|log| {
                log.iter()
                    .any(|&(ts, _, _)| ts >= snap.taken_ns && ts <= snap.done_ns + TORN_MARGIN_NS)
            });
        if torn && !accept_torn {
            self.counters.torn_snapshots += 1;
            return Reconciled::Torn;
        }
        if !shared.unfilled {
            p.checks += 1;
        }
        let mut rebuilt = AddressSpace::from_regions(snap.regions);
        let heap_end = rebuilt
            .regions()
            .find(|r| r.kind == Kind::Heap)
            .map(|r| r.end);
        if snap.start_brk != 0 {
            rebuilt.brk_start = Some(snap.start_brk);
            rebuilt.brk = Some(heap_end.unwrap_or(snap.start_brk));
        }
        for (ts, tid, ev) in shared.log.take().unwrap_or_default() {
            if ts >= snap.taken_ns {
                apply(&mut rebuilt, &ev, tid, ts);
            }
        }
        let diffs = differences(&shared.space.coalesced(), &rebuilt.coalesced());
        if shared.unfilled {
            self.counters.fills += 1;
        } else {
            self.counters.resyncs += 1;
            if diffs.is_empty() {
                self.counters.resyncs_exact += 1;
            }
            let stacks: Vec<(u64, u64)> = rebuilt
                .regions()
                .filter(|r| r.kind == Kind::Stack)
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
        shared.space.replace_regions(&rebuilt);
        shared.space.brk_start = rebuilt.brk_start;
        shared.space.brk = rebuilt.brk;
        shared.unfilled = false;
        Reconciled::Applied
    }

    /// Stops tracking `tgid` (it was found gone, or it is a kernel thread).
    pub fn forget(&mut self, tgid: u32) {
        if let Some(p) = self.procs.remove(&tgid) {
            self.release(p.space);
        }
    }

    /// Records the unit `tgid` runs in and its user, as its last `/proc` read found them.
    pub fn set_identity(&mut self, tgid: u32, unit: Option<&str>, uid: Option<u32>) {
        if let Some(p) = self.procs.get_mut(&tgid) {
            if p.unit.as_deref() != unit {
                p.unit = unit.map(std::sync::Arc::from);
            }
            p.uid = uid;
        }
    }

    /// Gives back the memory the maps kept after many processes left.
    pub fn shrink(&mut self) {
        self.procs.shrink_to_fit();
        self.spaces.shrink_to_fit();
    }

    /// Starts logging `tgid`'s events for a snapshot about to be taken (a periodic resync).
    pub fn expect_snapshot(&mut self, tgid: u32) {
        if let Some(p) = self.procs.get(&tgid)
            && let Some(s) = self.spaces.get_mut(&p.space)
            && s.log.is_none()
        {
            s.log = Some(Vec::new());
        }
    }
}
