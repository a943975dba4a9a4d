//! The ledger of every process: pid -> address space, through fork, threads, exec, exit and
//! pid reuse. (Its reconciliation with `/proc` snapshots is in `reconcile.rs`.)

use super::apply::{Call, Outcome, apply_call};
use super::check::{Verdict, settle_layout};
use super::counters::Counters;
use super::process::{Applied, Exited, Kernel, Need, Process, Reason};
use super::reconcile::{Snapshot, Why};
use super::region::{Origin, Perms, Region, RegionKind};
use super::sites::{NO_SITE, SiteSpans};
use super::space::AddressSpace;
use crate::event::{Comm, Event, Kind};
use crate::event::{Figures, Swept};
use std::collections::{HashMap, HashSet};

/// An address space and what the ledger keeps about it.
#[derive(Clone, Debug)]
pub(super) struct Shared {
    pub(super) space: AddressSpace,
    pub(super) users: u32,
    /// While a snapshot is awaited: the events applied since it was asked for, to replay on
    /// top of it.
    pub(super) log: Option<Vec<(Call, Kind)>>,
    /// Its contents so far are a placeholder until the first snapshot (after exec, or for a
    /// process first seen mid-life): filling it is not drift.
    pub(super) unfilled: bool,
    /// When this address space began (its exec or fork): a snapshot taken before then shows
    /// another address space (the one before an exec) and is refused.
    pub(super) created_ns: u64,
    /// Children forked from it lately: their space, their pid and the fork's time. An event
    /// of this space stamped before a fork but arriving after it (another thread's, late)
    /// happened before the copy, so it belongs to the child too.
    forks: Vec<Fork>,
}

/// A child forked from an address space (see [`Shared`]).
#[derive(Clone, Copy, Debug)]
struct Fork {
    space: u64,
    pid: u32,
    ts_ns: u64,
}

/// How long a fork keeps passing its parent's late events on to the child.
const FORK_LATE_NS: u64 = 2_000_000_000;

/// Every tracked process and address space.
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    pub(super) procs: HashMap<u32, Process>,
    pub(super) spaces: HashMap<u64, Shared>,
    next_space: u64,
    pub(super) counters: Counters,
    /// Processes whose figures or regions changed since [`Ledger::take_touched`].
    touched: HashSet<u32>,
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
    pub fn take_touched(&mut self) -> HashSet<u32> {
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
            self.release(old.space);
        }
        let space = self.new_space(AddressSpace::new(), true, created_ns);
        let mut p = Process::new(tgid, comm, space, ts_ns);
        (p.unit, p.uid) = (unit, uid);
        self.procs.insert(tgid, p);
    }

    /// Starts tracking a process from a snapshot taken at start-up (bootstrap).
    pub fn insert_snapshot(&mut self, tgid: u32, comm: Comm, snap: Snapshot) {
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
            Kind::Exec { .. } => {
                self.track_unfilled(e.tgid, e.comm, (e.ts_ns, e.ts_ns), true);
                if let Some(p) = self.procs.get_mut(&e.tgid) {
                    p.kernel = e.figures.map(|figures| Kernel {
                        figures,
                        at_ns: e.ts_ns,
                        resident: None,
                    });
                }
                Applied::need(Some(Need {
                    tgid: e.tgid,
                    reason: Reason::Exec,
                }))
            }
            Kind::Exit {
                group_dead,
                footprint,
            } => {
                if !group_dead {
                    return Applied::default();
                }
                let totals = self
                    .procs
                    .get(&e.tgid)
                    .and_then(|p| self.spaces.get(&p.space))
                    .map(|s| s.space.totals());
                let exited = self.procs.get(&e.tgid).map(|p| Exited {
                    pid: e.tgid,
                    comm: e.comm,
                    unit: p.unit.clone(),
                    start_ns: footprint
                        .map(|f| f.start_ns)
                        .or(p.start_ns)
                        .unwrap_or(p.since_ns),
                    exit_ns: e.ts_ns,
                    peak_virtual_bytes: e.figures.map(|f| f.peak_virtual_bytes),
                    peak_resident_bytes: footprint.map(|f| f.resident.peak_bytes),
                    mappings: e.figures.map(|f| f.mappings),
                    calls: p.calls,
                    mapped_bytes: totals.map_or(0, |t| t.mapped_bytes),
                    unmapped_bytes: totals.map_or(0, |t| t.unmapped_bytes),
                });
                self.forget(e.tgid);
                Applied {
                    exited,
                    ..Applied::default()
                }
            }
            kind => self.syscall(e, kind),
        }
    }

    /// Holds `tgid`'s ledger to figures `f` read at `at_ns` (a record's, once its call is
    /// applied, or a sweep's): keeps them as the kernel's latest, and judges the ledger when
    /// its address space is known in full and is its own.
    fn check(&mut self, tgid: u32, f: &Figures, at_ns: u64) -> Option<Verdict> {
        let p = self.procs.get_mut(&tgid)?;
        if p.kernel.is_some_and(|k| k.at_ns > at_ns) {
            // Read before figures already taken (a sweep that raced an exec, a record from
            // another CPU): older than what the ledger holds, they judge nothing.
            return None;
        }
        // What the published view shows of the figures and the verdict: a sweep that finds
        // every process as it was touches none of them (no view is rebuilt).
        let shown = |p: &Process| {
            let k = p.kernel.map(|k| {
                let f = k.figures;
                (f.virtual_bytes, f.peak_virtual_bytes, f.mappings)
            });
            (k, p.verdict)
        };
        let before = shown(p);
        let resident = p.kernel.and_then(|k| k.resident);
        p.kernel = Some(Kernel {
            figures: *f,
            at_ns,
            resident,
        });
        let shared = self.spaces.get(&p.space)?;
        if shared.unfilled || shared.users > 1 {
            return None;
        }
        let (bytes, mappings) = (shared.space.kernel_bytes(), shared.space.mappings());
        let verdict = p.check.judge(f, bytes, mappings);
        // A mismatch counts once, when it is found, however many checks see it before the
        // read that repairs it.
        if !matches!(verdict, Verdict::Mismatch(_)) || p.inexact_since.is_none() {
            self.counters.checks.count(verdict);
        }
        match verdict {
            Verdict::Exact => {
                if let Some(since) = p.inexact_since.take() {
                    let took = std::time::Duration::from_nanos(at_ns.saturating_sub(since));
                    self.counters.repairs.record(took);
                }
            }
            Verdict::Mismatch(_) => {
                p.inexact_since.get_or_insert(at_ns);
            }
            Verdict::Unchecked => {}
        }
        if verdict != Verdict::Unchecked {
            p.verdict = Some(verdict);
        }
        if shown(p) != before {
            self.touched.insert(tgid);
        }
        Some(verdict)
    }

    /// Takes in what a sweep found of one process: its figures and resident memory, a
    /// check, and whether its ledger must be read (unknown, a new process under its pid, or
    /// wrong).
    pub fn swept(&mut self, s: &Swept) -> Applied {
        let Some(p) = self.procs.get_mut(&s.tgid) else {
            return Applied::need(Some(Need {
                tgid: s.tgid,
                reason: Reason::Unknown,
            }));
        };
        if p.start_ns.is_some_and(|t| t != s.start_ns) {
            // Another process under the pid: the exit of the one before was missed.
            self.counters.pid_reuse += 1;
            self.forget(s.tgid);
            return Applied::need(Some(Need {
                tgid: s.tgid,
                reason: Reason::Unknown,
            }));
        }
        p.start_ns = Some(s.start_ns);
        let verdict = self.check(s.tgid, &s.figures, s.ts_ns);
        if let Some(p) = self.procs.get_mut(&s.tgid)
            && let Some(k) = &mut p.kernel
            && k.at_ns == s.ts_ns
            && k.resident != Some(s.resident)
        {
            k.resident = Some(s.resident);
            self.touched.insert(s.tgid);
        }
        Applied {
            need: mismatch_need(s.tgid, verdict),
            verdict,
            exited: None,
        }
    }

    fn syscall(&mut self, e: &Event, kind: &Kind) -> Applied {
        let mut need = None;
        if !self.procs.contains_key(&e.tgid) {
            self.counters.unknown_process += 1;
            // It began before anything seen of it: any snapshot of it will do, with the
            // events stamped after the snapshot replayed on top.
            self.track_unfilled(e.tgid, e.comm, (e.ts_ns, 0), false);
            need = Some(Need {
                tgid: e.tgid,
                reason: Reason::Unknown,
            });
        }
        let p = self.procs.get_mut(&e.tgid).expect("tracked above");
        p.comm = e.comm;
        p.calls.count(kind);
        let space = p.space;
        let shared = self
            .spaces
            .get_mut(&space)
            .expect("a process's space exists");
        let bytes_before = shared.space.kernel_bytes();
        // What no event shows (written pages, merges refused) may decide the layout: kept
        // to try the other assumptions on when the kernel's count disagrees.
        let before = (e.figures.is_some() && !shared.unfilled && shared.users == 1)
            .then(|| shared.space.clone());
        let call = Call {
            tid: e.tid,
            ts_ns: e.ts_ns,
            site: e.site.as_ref().map_or(NO_SITE, |s| s.id()),
        };
        let outcome = apply_call(&mut shared.space, kind, call);
        if let (Outcome::Applied, Some(before), Some(f)) = (outcome, &before, &e.figures)
            && settle_layout(&mut shared.space, before, (kind, call), f, &p.check)
        {
            self.counters.checks.layouts_settled += 1;
        }
        // brk reports no errno: a break that could not grow stays below the one asked for.
        if let Kind::Brk { addr, ret } = *kind
            && addr != 0
            && (ret as u64) < addr
        {
            p.calls.failed += 1;
            p.calls.enomem += 1;
        }
        match outcome {
            Outcome::Applied => self.counters.applied += 1,
            Outcome::Failed => {
                p.calls.failed += 1;
                if kind.errno() == Some(libc::ENOMEM) {
                    p.calls.enomem += 1;
                }
                self.counters.failed_calls += 1;
            }
            Outcome::Unknown => self.counters.unknown_effect += 1,
            Outcome::Read => {
                // A shared memory segment: its size is what the kernel's figures grew by,
                // when nothing else could have changed them meanwhile.
                let attached = match (kind, &e.figures) {
                    (Kind::Shmat { flags, ret, .. }, Some(f)) if !shared.unfilled => {
                        let mut probe = p.check;
                        let quiet =
                            probe.judge(f, f.virtual_bytes, f.mappings as usize) == Verdict::Exact;
                        let size = f.virtual_bytes.saturating_sub(bytes_before);
                        (quiet && size > 0).then(|| shm_region(*ret as u64, size, *flags))
                    }
                    _ => None,
                };
                match attached {
                    Some(mut r) => {
                        r.sites = SiteSpans::of(call.site);
                        shared.space.map(r);
                        self.counters.applied += 1;
                    }
                    None => {
                        need.get_or_insert(Need {
                            tgid: e.tgid,
                            reason: Reason::Effect,
                        });
                    }
                }
            }
            Outcome::Ignored => {}
        }
        if let Some(log) = &mut shared.log {
            log.push((call, kind.clone()));
        }
        shared
            .forks
            .retain(|f| e.ts_ns.saturating_sub(f.ts_ns) < FORK_LATE_NS);
        let late_for: Vec<Fork> = shared
            .forks
            .iter()
            .filter(|f| e.ts_ns < f.ts_ns)
            .copied()
            .collect();
        self.touch_space(space, e.tgid);
        for child in late_for {
            if let Some(c) = self.spaces.get_mut(&child.space) {
                apply_call(&mut c.space, kind, call);
                if let Some(log) = &mut c.log {
                    log.push((call, kind.clone()));
                }
                self.touched.insert(child.pid);
            }
        }
        let Some(f) = e.figures else {
            return Applied::need(need);
        };
        let verdict = self.check(e.tgid, &f, e.ts_ns);
        if let Some(p) = self.procs.get_mut(&e.tgid) {
            p.check.applied(&f);
        }
        Applied {
            need: need.or(mismatch_need(e.tgid, verdict)),
            verdict,
            exited: None,
        }
    }

    fn fork(&mut self, e: &Event, child: u32, flags: Option<u64>) -> Option<Need> {
        if e.is_thread() == Some(true) {
            return None;
        }
        let Some(parent) = self.procs.get(&e.tgid).cloned() else {
            self.track_unfilled(child, e.comm, (e.ts_ns, e.ts_ns), false);
            return Some(Need {
                tgid: child,
                reason: Reason::Unknown,
            });
        };
        if flags.is_none() {
            self.track_unfilled(child, e.comm, (e.ts_ns, e.ts_ns), false);
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
            // Shares the parent's region map until either side changes it; what the parent
            // marked MADV_DONTFORK is not copied.
            let mut copy = src.space.clone();
            copy.drop_dontcopy();
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
            src.forks.push(Fork {
                space: id,
                pid: child,
                ts_ns: e.ts_ns,
            });
            id
        };
        self.touched.insert(child);
        let mut p = Process::new(child, parent.comm, space, e.ts_ns);
        (p.unit, p.uid) = (parent.unit.clone(), parent.uid);
        p.kernel = e.figures.map(|figures| Kernel {
            figures,
            at_ns: e.ts_ns,
            resident: None,
        });
        self.procs.insert(child, p);
        need
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

/// The read a check's mismatch asks for.
fn mismatch_need(tgid: u32, verdict: Option<Verdict>) -> Option<Need> {
    match verdict {
        Some(Verdict::Mismatch(m)) => Some(Need {
            tgid,
            reason: Reason::Mismatch(m),
        }),
        _ => None,
    }
}

/// A System V shared memory attach of `size` bytes at `at`, with `shmat`'s `flags`.
fn shm_region(at: u64, size: u64, flags: u32) -> Region {
    use vmmon_common::linux::{PROT_EXEC, PROT_READ, PROT_WRITE, SHM_EXEC, SHM_RDONLY};
    let mut prot = PROT_READ;
    if flags & SHM_RDONLY == 0 {
        prot |= PROT_WRITE;
    }
    if flags & SHM_EXEC != 0 {
        prot |= PROT_EXEC;
    }
    Region::new(
        at,
        at + size,
        Perms::from_prot(prot, true),
        RegionKind::Shm,
        Origin::Mmap,
    )
}
