//! The ledger of every process: pid -> address space, shared by threads and vfork children,
//! replaced on pid reuse. What each event does to it is in `syscall.rs` (a syscall's record),
//! `lineage.rs` (fork, exec, exit) and `judge.rs` (the kernel's figures); its reconciliation
//! with `/proc` snapshots is in `reconcile.rs`.

use super::counters::Counters;
use super::process::{Applied, Process};
use super::reconcile::{MapsRead, Why};
use super::replay_log::ReplayLog;
use super::space::AddressSpace;
use crate::event::{Comm, Event, Kind};
use rustc_hash::{FxHashMap, FxHashSet};

/// An address space and what the ledger keeps about it.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    pub(super) space: AddressSpace,
    pub(super) users: u32,
    /// While a snapshot is awaited: the events applied since it was asked for, to replay on
    /// top of it.
    pub(super) log: Option<ReplayLog>,
    /// Its contents so far are a placeholder until the first snapshot (after exec, or for a
    /// process first seen mid-life): filling it is not drift.
    pub(super) unfilled: bool,
    /// When this address space began (its exec or fork): a snapshot taken before then shows
    /// another address space (the one before an exec) and is refused.
    pub(super) created_ns: u64,
    /// Children forked from it lately: their space, their pid and the fork's time. An event
    /// of this space stamped before a fork but arriving after it (another thread's, late)
    /// happened before the copy, so it belongs to the child too.
    pub(super) forks: Vec<Fork>,
}

/// A child forked from an address space (see [`Shared`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Fork {
    pub(super) space: u64,
    pub(super) pid: u32,
    pub(super) ts_ns: u64,
}

/// How long a fork keeps passing its parent's late events on to the child.
pub(super) const FORK_LATE_NS: u64 = 2_000_000_000;

/// Every tracked process and address space.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub(super) procs: FxHashMap<u32, Process>,
    pub(super) spaces: FxHashMap<u64, Shared>,
    next_space: u64,
    pub(super) counters: Counters,
    /// Processes whose figures or regions changed since [`Ledger::take_touched`].
    pub(super) touched: FxHashSet<u32>,
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

    /// The processes changed (in figures, regions or identity), started or gone since the
    /// last call: what a reader of the ledger must look at again.
    pub fn take_touched(&mut self) -> FxHashSet<u32> {
        std::mem::take(&mut self.touched)
    }

    /// Notes that the processes using address space `space` changed.
    pub(super) fn touch_space(&mut self, space: u64, known_user: u32) {
        self.touched.insert(known_user);
        if self.spaces.get(&space).is_some_and(|s| s.users > 1) {
            // Shared by a vfork or CLONE_VM child (rare and brief): find its other users.
            let others = self.procs.values().filter(|p| p.space == space);
            self.touched.extend(others.map(|p| p.tgid));
        }
    }

    pub(super) fn new_space(
        &mut self,
        space: AddressSpace,
        unfilled: bool,
        created_ns: u64,
    ) -> u64 {
        self.next_space += 1;
        let id = self.next_space;
        self.spaces.insert(
            id,
            Shared {
                space,
                users: 1,
                log: unfilled.then(ReplayLog::default),
                unfilled,
                created_ns,
                forks: Vec::new(),
            },
        );
        id
    }

    pub(super) fn release(&mut self, space: u64) {
        if let Some(s) = self.spaces.get_mut(&space) {
            s.users -= 1;
            if s.users == 0 {
                self.spaces.remove(&space);
            }
        }
    }

    /// Starts tracking `tgid`, seen first at `ts_ns`, with an address space that a snapshot
    /// will fill; a snapshot taken before `created_ns` (its exec or fork; 0 when it began
    /// before anything the ledger saw) shows another address space. A process already under
    /// that pid is replaced: counted as pid reuse unless `exec` (the same process with a new
    /// image).
    pub(super) fn track_unfilled(
        &mut self,
        tgid: u32,
        comm: Comm,
        (ts_ns, created_ns): (u64, u64),
        exec: bool,
    ) {
        self.touched.insert(tgid);
        let (mut unit, mut uid) = (None, None);
        if let Some(old) = self.procs.remove(&tgid) {
            if exec {
                (unit, uid) = (old.unit, old.uid);
            } else {
                self.counters.pid_reuse += 1;
            }
            self.release(old.space);
        }
        let space = self.new_space(AddressSpace::new(), true, created_ns);
        let mut p = Process::new(tgid, comm, space, ts_ns);
        (p.unit, p.uid) = (unit, uid);
        self.procs.insert(tgid, p);
    }

    /// Starts tracking a process from a snapshot taken at start-up (bootstrap).
    pub fn insert_snapshot(&mut self, tgid: u32, comm: Comm, snap: MapsRead) {
        self.track_unfilled(tgid, comm, (snap.taken_ns, 0), false);
        self.reconcile(tgid, snap, (true, Why::Other));
    }

    /// Applies one event: what it did besides (a read to ask for, a check's verdict, a
    /// process's footprint as it left).
    pub fn apply(&mut self, e: &Event) -> Applied {
        self.counters.events += 1;
        match &e.kind {
            Kind::Fork {
                child_tgid,
                clone_flags,
                ..
            } => Applied::need(self.fork(e, *child_tgid, *clone_flags)),
            Kind::Exec { .. } => Applied::need(Some(self.exec(e))),
            Kind::Exit {
                group_dead,
                footprint,
                status,
            } => Applied {
                exited: self.exit(e, *group_dead, (footprint.as_deref(), *status)),
                ..Applied::default()
            },
            Kind::OomKill { .. } => {
                if let Some(p) = self.procs.get_mut(&e.tgid) {
                    p.oom_victim_ns = Some(e.ts_ns);
                    self.touched.insert(e.tgid);
                }
                Applied::default()
            }
            kind => self.syscall(e, kind),
        }
    }

    /// Stops tracking `tgid` (it was found gone, or it is a kernel thread).
    pub fn forget(&mut self, tgid: u32) {
        if let Some(p) = self.procs.remove(&tgid) {
            self.touched.insert(tgid);
            self.release(p.space);
        }
    }

    /// Records the unit `tgid` runs in and its user, as its last `/proc` read found them.
    pub fn set_identity(&mut self, tgid: u32, unit: Option<&str>, uid: Option<u32>) {
        if let Some(p) = self.procs.get_mut(&tgid) {
            if p.unit.as_deref() != unit {
                p.unit = unit.map(std::sync::Arc::from);
                self.touched.insert(tgid);
            }
            if p.uid != uid {
                p.uid = uid;
                self.touched.insert(tgid);
            }
        }
    }

    /// Gives back the memory the maps kept after many processes left.
    pub fn shrink(&mut self) {
        self.procs.shrink_to_fit();
        self.spaces.shrink_to_fit();
    }

    /// Stops logging `tgid`'s calls for a read no longer awaited (a filled address space
    /// only: an unfilled one waits for its first read whatever happens).
    pub fn cancel_snapshot(&mut self, tgid: u32) {
        if let Some(p) = self.procs.get(&tgid)
            && let Some(s) = self.spaces.get_mut(&p.space)
            && !s.unfilled
        {
            s.log = None;
        }
    }

    /// Starts logging `tgid`'s events for a snapshot about to be taken.
    pub fn expect_snapshot(&mut self, tgid: u32) {
        if let Some(p) = self.procs.get(&tgid)
            && let Some(s) = self.spaces.get_mut(&p.space)
            && s.log.is_none()
        {
            s.log = Some(ReplayLog::default());
        }
    }
}
