//! The address-space ledger: per process, a live model of its mappings that agrees with the
//! kernel's own (`/proc/PID/maps`), kept from the event stream. Pure: no I/O.
//!
//! - [`Ledger`] (here): every process and its address space, changed by each event (a
//!   syscall's record, fork, exec, exit), held to the kernel's figures and reconciled with
//!   `/proc` snapshots; what an event asks of its owner is a [`FollowUp`] (a read and its
//!   [`ReadReason`], a verdict, an [`Exited`] footprint);
//! - [`process`]: a tracked process, its calls and the kernel's latest figures; [`refused`],
//!   the calls the kernel refused it; [`exited`], its footprint as it left;
//! - [`spaces`]: every address space by [`SpaceId`], shared by threads and vfork children,
//!   with the calls logged while a read is awaited ([`replay_log`]) and the forks late
//!   events follow;
//! - [`space`]: one address space, changed by what each call does; its [`regions`] (an
//!   ordered [`region_map`] of [`region`]s and their [`attrs`], with the kernel's split and
//!   merge rules, what they add up to ([`sums`]) and what a change replaced ([`journal`])),
//!   and what a late unmap displaced ([`displaced`]);
//! - [`sites`]: the call site behind each byte of a region;
//! - [`apply`]: what each syscall does to an address space, and [`adjust`], the calls that
//!   change mappings' flags;
//! - [`check`]: holding a ledger to the kernel's own figures (when they may judge, and what a
//!   difference means);
//! - [`maps_read`]: a `/proc` snapshot as the ledger takes it in; [`diff`], where two address
//!   spaces disagree; [`counters`], what the ledger did and had to correct.

mod adjust;
pub mod apply;
pub mod attrs;
pub mod check;
pub mod counters;
pub mod diff;
pub mod displaced;
pub mod exited;
pub mod follow_up;
mod journal;
pub mod maps_read;
pub mod process;
pub mod refused;
pub mod region;
pub mod region_map;
pub mod regions;
mod replay_log;
pub mod sites;
pub mod space;
pub mod spaces;
pub mod sums;

#[cfg(test)]
mod tests;

pub use apply::{Call, Outcome, apply, apply_call};
pub use attrs::Attrs;
pub use check::{CheckCounters, CheckState, Mismatch, Verdict};
pub use counters::{Cause, Counters};
pub use exited::{EXIT_SITES, Exited};
pub use follow_up::{FollowUp, Need, ReadReason};
pub use maps_read::{MapsRead, Reconciled};
pub use process::{CallCounts, Kernel, Process};
pub use refused::{Refused, RefusedCall};
pub use region::{Origin, PAGE, Perms, Region, RegionKind, page_up};
pub use sites::{NO_SITE, SiteId, SiteSpans, SiteTable, SiteTotal, site_name};
pub use space::{AddressSpace, RegionMap, Totals, region_at};
pub use spaces::SpaceId;
pub use sums::{BytesByKind, MappingsByKind, PermBytes, Sums, coalesce};

use crate::event::{Comm, Event, ExitStatus, Figures, Footprint, Kind, Swept};
use follow_up::mismatch_need;
use rustc_hash::{FxHashMap, FxHashSet};
use sites::NO_SITE as NO_CALL_SITE;
use spaces::{Fork, Spaces};

/// Every tracked process and address space: pid -> process -> address space, shared by
/// threads and vfork children, replaced on pid reuse.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    procs: FxHashMap<u32, Process>,
    spaces: Spaces,
    counters: Counters,
    /// Processes whose figures or regions changed since [`Ledger::take_touched`].
    touched: FxHashSet<u32>,
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
            .and_then(|p| self.spaces.get(p.space))
            .is_some_and(|s| !s.unfilled)
    }

    /// The address space of `tgid`.
    pub fn space(&self, tgid: u32) -> Option<&AddressSpace> {
        let p = self.procs.get(&tgid)?;
        self.spaces.get(p.space).map(|s| &s.space)
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

    /// Applies one event: what it asks of the owner (a read, a check's verdict, a
    /// process's footprint as it left).
    pub fn apply(&mut self, e: &Event) -> FollowUp {
        self.counters.events += 1;
        match &e.kind {
            Kind::Fork {
                child_tgid,
                clone_flags,
                ..
            } => FollowUp::need(self.fork(e, *child_tgid, *clone_flags)),
            Kind::Exec { .. } => FollowUp::need(Some(self.exec(e))),
            Kind::Exit {
                group_dead,
                footprint,
                status,
            } => FollowUp {
                exited: self.exit(e, *group_dead, (footprint.as_deref(), *status)),
                ..FollowUp::default()
            },
            Kind::OomKill { .. } => {
                if let Some(p) = self.procs.get_mut(&e.tgid) {
                    p.oom_victim_ns = Some(e.ts_ns);
                    self.touched.insert(e.tgid);
                }
                FollowUp::default()
            }
            kind => self.syscall(e, kind),
        }
    }

    /// Takes in what a sweep found of one process: its figures and resident memory, a
    /// check, and whether its ledger must be read (unknown, a new process under its pid, or
    /// wrong).
    pub fn swept(&mut self, s: &Swept) -> FollowUp {
        let Some(p) = self.procs.get_mut(&s.tgid) else {
            return FollowUp::read(s.tgid, ReadReason::Unknown);
        };
        if p.start_ns.is_some_and(|t| t != s.start_ns) {
            // Another process under the pid: the exit of the one before was missed.
            self.counters.pid_reuse += 1;
            self.forget(s.tgid);
            return FollowUp::read(s.tgid, ReadReason::Unknown);
        }
        p.start_ns = Some(s.start_ns);
        if p.oldest_call_ns != s.oldest_call_ns {
            p.oldest_call_ns = s.oldest_call_ns;
            self.touched.insert(s.tgid);
        }
        let verdict = self.hold_to_figures(s.tgid, &s.figures, s.ts_ns);
        if let Some(p) = self.procs.get_mut(&s.tgid)
            && p.take_resident(s.ts_ns, s.resident)
        {
            self.touched.insert(s.tgid);
        }
        FollowUp {
            need: mismatch_need(s.tgid, verdict),
            verdict,
            exited: None,
        }
    }

    /// After sweep `s` (whose figures could judge nothing, calls being in flight): the read
    /// a call that has been in the kernel for `long_ns` or more asks for, when the kernel's
    /// figures are ahead of the ledger. (The call's exit record, applied on the read, changes
    /// nothing more: a record carries where the call left the mapping, not a difference.)
    pub fn long_call_need(&self, s: &Swept, long_ns: u64) -> Option<Need> {
        let began = s.oldest_call_ns?;
        if s.ts_ns.saturating_sub(began) < long_ns {
            return None;
        }
        let p = self.procs.get(&s.tgid)?;
        let tracked = self.spaces.get(p.space).filter(|t| !t.unfilled)?;
        let space = &tracked.space;
        let behind = space.kernel_bytes() != s.figures.virtual_bytes
            || space.mappings() as u32 != s.figures.mappings;
        behind.then_some(Need {
            tgid: s.tgid,
            reason: ReadReason::LongCall,
        })
    }

    /// Makes `tgid`'s address space what the snapshot says, replaying the events stamped
    /// after it was taken, and counts what had to change by the `reason` it was read for;
    /// or refuses the snapshot (see [`Reconciled`]). With `accept_torn`, a snapshot the
    /// process changed during is used anyway (after repeated tries: what it misses, later
    /// checks correct and count).
    pub fn reconcile(
        &mut self,
        tgid: u32,
        snap: MapsRead,
        (accept_torn, reason): (bool, ReadReason),
    ) -> Reconciled {
        let Some(p) = self.procs.get_mut(&tgid) else {
            return Reconciled::Untracked;
        };
        let Some(tracked) = self.spaces.get_mut(p.space) else {
            return Reconciled::Untracked;
        };
        match tracked.refuses(&snap, accept_torn) {
            Some(Reconciled::Stale) => {
                self.counters.stale_snapshots += 1;
                return Reconciled::Stale;
            }
            Some(refused) => {
                self.counters.torn_snapshots += 1;
                return refused;
            }
            None => {}
        }
        let rebuilt = tracked.rebuild(snap);
        if tracked.unfilled {
            self.counters.fills += 1;
        } else {
            p.checks += 1;
            if self.counters.count_resync(reason, &tracked.space, &rebuilt) {
                p.corrected += 1;
            }
        }
        tracked.take_in(&rebuilt);
        let space = p.space;
        self.touch_space(space, tgid);
        Reconciled::Taken
    }

    /// Starts tracking a process from a snapshot taken at start-up (bootstrap).
    pub fn insert_snapshot(&mut self, tgid: u32, comm: Comm, snap: MapsRead) {
        self.track_unfilled(tgid, comm, (snap.taken_ns, 0), false);
        self.reconcile(tgid, snap, (true, ReadReason::Bootstrap));
    }

    /// Starts logging `tgid`'s events for a snapshot about to be taken.
    pub fn expect_snapshot(&mut self, tgid: u32) {
        if let Some(p) = self.procs.get(&tgid)
            && let Some(s) = self.spaces.get_mut(p.space)
            && s.log.is_none()
        {
            s.log = Some(Default::default());
        }
    }

    /// Stops logging `tgid`'s calls for a read no longer awaited (a filled address space
    /// only: an unfilled one waits for its first read whatever happens).
    pub fn cancel_snapshot(&mut self, tgid: u32) {
        if let Some(p) = self.procs.get(&tgid)
            && let Some(s) = self.spaces.get_mut(p.space)
            && !s.unfilled
        {
            s.log = None;
        }
    }

    /// Stops tracking `tgid` (it was found gone, or it is a kernel thread).
    pub fn forget(&mut self, tgid: u32) {
        if let Some(p) = self.procs.remove(&tgid) {
            self.touched.insert(tgid);
            self.spaces.release(p.space);
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
        self.spaces.shrink();
    }

    /// Applies the record of a syscall by `e.tgid`: to its address space (and to children
    /// forked meanwhile that it is late for), counted, logged for a replay and checked.
    fn syscall(&mut self, e: &Event, kind: &Kind) -> FollowUp {
        let mut need = self.track_caller(e);
        let site = e.site.as_ref().map_or(NO_CALL_SITE, |s| s.id());
        let call = Call {
            tid: e.tid,
            ts_ns: e.ts_ns,
            site,
        };
        let p = self.procs.get_mut(&e.tgid).expect("tracked above");
        let space = p.space;
        let tracked = self
            .spaces
            .get_mut(space)
            .expect("a process's space exists");
        let (bytes_before, brk_before) = (tracked.space.kernel_bytes(), tracked.space.brk);
        let (outcome, settled) = tracked.apply((kind, call), e.figures.as_ref(), &p.check);
        self.counters.checks.layouts_settled += u64::from(settled);
        p.count_call((e, kind, site), outcome, brk_before);
        match outcome {
            Outcome::Applied => self.counters.applied += 1,
            Outcome::Failed => self.counters.failed_calls += 1,
            Outcome::Unknown => self.counters.unknown_effect += 1,
            Outcome::Read => {
                let f = e.figures.as_ref();
                if tracked.attach_shm((kind, site), f, bytes_before, &p.check) {
                    self.counters.applied += 1;
                }
                // The figures give the segment's size only if the ledger held every byte
                // right before the call, which they cannot tell (an earlier difference of the
                // same size elsewhere goes unseen, and the size comes out wrong by it): a read
                // of /proc, as shmat is rare, settles it.
                need.get_or_insert(Need {
                    tgid: e.tgid,
                    reason: ReadReason::Effect,
                });
            }
            Outcome::Ignored => {}
        }
        tracked.log_call(call, kind);
        let late = tracked.late_forks(e.ts_ns);
        self.touch_space(space, e.tgid);
        self.apply_late(&late, kind, call);
        let Some(f) = e.figures else {
            return FollowUp::need(need);
        };
        let verdict = self.hold_to_figures(e.tgid, &f, e.ts_ns);
        if let Some(p) = self.procs.get_mut(&e.tgid) {
            p.check.applied(&f);
        }
        FollowUp {
            need: need.or(mismatch_need(e.tgid, verdict)),
            verdict,
            exited: None,
        }
    }

    /// Starts tracking the maker of a syscall record the ledger does not know: it began
    /// before anything seen of it, so any snapshot of it will do, with the events stamped
    /// after the snapshot replayed on top.
    fn track_caller(&mut self, e: &Event) -> Option<Need> {
        if self.procs.contains_key(&e.tgid) {
            return None;
        }
        self.counters.unknown_process += 1;
        self.track_unfilled(e.tgid, e.comm, (e.ts_ns, 0), false);
        Some(Need {
            tgid: e.tgid,
            reason: ReadReason::Unknown,
        })
    }

    /// Applies a call to the children forked after it was made (its record came late).
    fn apply_late(&mut self, late: &[Fork], kind: &Kind, call: Call) {
        for child in late {
            if let Some(c) = self.spaces.get_mut(child.space) {
                apply_call(&mut c.space, kind, call);
                c.log_call(call, kind);
                self.touched.insert(child.pid);
            }
        }
    }

    /// Holds `tgid`'s ledger to figures `f` read at `at_ns` (a record's, once its call is
    /// applied, or a sweep's): keeps them as the kernel's latest, and judges the ledger when
    /// its address space is known in full and is its own (see [`check`]).
    fn hold_to_figures(&mut self, tgid: u32, f: &Figures, at_ns: u64) -> Option<Verdict> {
        let p = self.procs.get_mut(&tgid)?;
        let before = p.shown();
        if !p.take_figures(f, at_ns) {
            return None;
        }
        let tracked = self.spaces.get(p.space).filter(|s| s.judged())?;
        let ledger = (tracked.space.kernel_bytes(), tracked.space.mappings());
        let verdict = p.judge((f, at_ns), ledger, &mut self.counters);
        if p.shown() != before {
            self.touched.insert(tgid);
        }
        Some(verdict)
    }

    /// A process forked `child`: a thread (nothing to do), a child sharing the address space
    /// (vfork, `CLONE_VM`) or one with a copy of it.
    fn fork(&mut self, e: &Event, child: u32, flags: Option<u64>) -> Option<Need> {
        if e.is_thread() == Some(true) {
            return None;
        }
        let parent = self.procs.get(&e.tgid).filter(|_| flags.is_some()).cloned();
        let Some(parent) = parent else {
            self.track_unfilled(child, e.comm, (e.ts_ns, e.ts_ns), false);
            return Some(Need {
                tgid: child,
                reason: ReadReason::Unknown,
            });
        };
        if let Some(old) = self.procs.remove(&child) {
            self.counters.pid_reuse += 1;
            self.spaces.release(old.space);
        }
        let (space, need) = if e.shares_vm() == Some(true) {
            // vfork or a CLONE_VM child: the same address space until it execs or exits.
            self.spaces.share(parent.space);
            (parent.space, None)
        } else {
            self.copy_space(parent.space, child, e.ts_ns)
        };
        self.touched.insert(child);
        let mut p = Process::new(child, parent.comm, space, e.ts_ns);
        (p.unit, p.uid) = (parent.unit.clone(), parent.uid);
        p.kernel = Kernel::of(e);
        self.procs.insert(child, p);
        need
    }

    /// A copy of address space `from` for `child`, forked from it at `ts_ns`, and the read
    /// the child needs when the parent's own has not come yet.
    fn copy_space(&mut self, from: SpaceId, child: u32, ts_ns: u64) -> (SpaceId, Option<Need>) {
        let src = self.spaces.get(from).expect("parent's space");
        // Shares the parent's region map until either side changes it; what the parent
        // marked MADV_DONTFORK is not copied.
        let mut copy = src.space.clone();
        copy.drop_dontcopy();
        let unfilled = src.unfilled;
        // The parent's own snapshot has not come yet, and the child will not get it: the
        // child needs one of its own.
        let need = unfilled.then_some(Need {
            tgid: child,
            reason: ReadReason::Unknown,
        });
        let id = self.spaces.insert(copy, unfilled, ts_ns);
        if let Some(src) = self.spaces.get_mut(from) {
            src.note_fork(Fork {
                space: id,
                pid: child,
                ts_ns,
            });
        }
        (id, need)
    }

    /// A new image for `e.tgid`: an address space its first `/proc` read will fill.
    fn exec(&mut self, e: &Event) -> Need {
        self.track_unfilled(e.tgid, e.comm, (e.ts_ns, e.ts_ns), true);
        if let Some(p) = self.procs.get_mut(&e.tgid) {
            p.kernel = Kernel::of(e);
        }
        Need {
            tgid: e.tgid,
            reason: ReadReason::Exec,
        }
    }

    /// A thread of `e.tgid` left; when it was the last (`group_dead`), the process is
    /// forgotten and its footprint returned.
    fn exit(
        &mut self,
        e: &Event,
        group_dead: bool,
        how: (Option<&Footprint>, Option<ExitStatus>),
    ) -> Option<Exited> {
        if !group_dead {
            return None;
        }
        let p = self.procs.get(&e.tgid)?;
        let space = self.spaces.get(p.space).map(|s| &s.space);
        let exited = Exited::new(p, e, how, space);
        self.forget(e.tgid);
        Some(exited)
    }

    /// Starts tracking `tgid`, seen first at `ts_ns`, with an address space that a snapshot
    /// will fill; a snapshot taken before `created_ns` (its exec or fork; 0 when it began
    /// before anything the ledger saw) shows another address space. A process already under
    /// that pid is replaced: counted as pid reuse unless `exec` (the same process with a new
    /// image).
    fn track_unfilled(
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
            self.spaces.release(old.space);
        }
        let space = self.spaces.insert(AddressSpace::new(), true, created_ns);
        let mut p = Process::new(tgid, comm, space, ts_ns);
        (p.unit, p.uid) = (unit, uid);
        self.procs.insert(tgid, p);
    }

    /// Notes that the processes using address space `space` changed.
    fn touch_space(&mut self, space: SpaceId, known_user: u32) {
        self.touched.insert(known_user);
        if self.spaces.is_shared(space) {
            // Shared by a vfork or CLONE_VM child (rare and brief): find its other users.
            let others = self.procs.values().filter(|p| p.space == space);
            self.touched.extend(others.map(|p| p.tgid));
        }
    }
}
