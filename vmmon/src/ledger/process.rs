//! A process as the ledger tracks it: who it is, the kernel's latest figures and the checks
//! they made, and its calls.

use super::apply::Outcome;
use super::check::{CheckState, Verdict};
use super::counters::Counters;
use super::refused::{Refused, refused_call};
use super::sites::SiteId;
use super::spaces::SpaceId;
use crate::event::{Comm, Event, Figures, Kind, Resident};

/// Syscalls seen from a process, by kind (`calls` in the API).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallCounts {
    pub mmap: u64,
    pub munmap: u64,
    pub mremap: u64,
    /// mprotect and pkey_mprotect.
    pub mprotect: u64,
    pub brk: u64,
    /// The other traced calls (shmat, shmdt, madvise, mlock, ...).
    #[serde(default)]
    pub other: u64,
    /// Calls of those that failed.
    pub failed: u64,
    /// Of those, the ones that failed for want of memory or of room for a mapping (`ENOMEM`,
    /// or a `brk` the kernel refused): the symptom of `vm.max_map_count`.
    #[serde(default)]
    pub enomem: u64,
}

impl CallCounts {
    /// Counts one syscall event.
    pub fn count(&mut self, kind: &Kind) {
        let n = match kind {
            Kind::Mmap { .. } => &mut self.mmap,
            Kind::Munmap { .. } => &mut self.munmap,
            Kind::Mremap { .. } => &mut self.mremap,
            Kind::Mprotect { .. } | Kind::PkeyMprotect { .. } => &mut self.mprotect,
            Kind::Brk { .. } => &mut self.brk,
            Kind::Shmat { .. } | Kind::Shmdt { .. } | Kind::Adjust { .. } => &mut self.other,
            Kind::Fork { .. } | Kind::Exec { .. } | Kind::Exit { .. } | Kind::OomKill { .. } => {
                return;
            }
        };
        *n += 1;
    }

    /// Counts a call the kernel refused: `enomem` when for want of memory or of room.
    fn count_failed(&mut self, enomem: bool) {
        self.failed += 1;
        self.enomem += u64::from(enomem);
    }
}

/// What the published view of a process shows of the kernel's figures (virtual bytes, peak,
/// mappings, calls in flight) and of the last verdict.
pub(super) type Shown = (Option<(u64, u64, u32, bool)>, Option<Verdict>);

/// A process the ledger tracks.
#[derive(Clone, Debug)]
pub struct Process {
    pub tgid: u32,
    pub comm: Comm,
    /// Which address space it uses (shared with threads and `CLONE_VM` children).
    pub space: SpaceId,
    /// Syscalls seen, by kind.
    pub calls: CallCounts,
    /// `/proc` reads that checked its filled address space, and those that had to correct it.
    pub checks: u32,
    pub corrected: u32,
    /// `CLOCK_MONOTONIC` ns of the event that made the ledger start tracking it.
    pub since_ns: u64,
    /// The container or systemd unit it runs in (from `/proc/PID/cgroup`; a fork inherits it).
    pub unit: Option<std::sync::Arc<str>>,
    /// Its effective user id (from `/proc/PID/status`; a fork inherits it).
    pub uid: Option<u32>,
    /// The kernel's latest figures for its address space, from a record or a sweep.
    pub kernel: Option<Kernel>,
    /// When it started (`CLOCK_MONOTONIC` ns), once a sweep or its exit said.
    pub start_ns: Option<u64>,
    /// What the ledger keeps to judge the kernel's figures.
    pub check: CheckState,
    /// The last check's verdict.
    pub verdict: Option<Verdict>,
    /// Since when (ns) a check has found the ledger wrong, until one finds it exact.
    pub inexact_since: Option<u64>,
    /// When (`CLOCK_MONOTONIC` ns) its oldest traced call still in the kernel began, as the
    /// last sweep found it.
    pub oldest_call_ns: Option<u64>,
    /// The calls the kernel refused it for want of memory or of room for a mapping.
    pub refused: Option<Box<Refused>>,
    /// When (`CLOCK_MONOTONIC` ns) the OOM killer chose it, if it did.
    pub oom_victim_ns: Option<u64>,
}

impl Process {
    /// A process first seen at `since_ns`, known by nothing else yet.
    pub fn new(tgid: u32, comm: Comm, space: SpaceId, since_ns: u64) -> Self {
        Self {
            tgid,
            comm,
            space,
            calls: CallCounts::default(),
            checks: 0,
            corrected: 0,
            since_ns,
            unit: None,
            uid: None,
            kernel: None,
            start_ns: None,
            check: CheckState::default(),
            verdict: None,
            inexact_since: None,
            oldest_call_ns: None,
            refused: None,
            oom_victim_ns: None,
        }
    }

    /// What the published view shows of its figures and verdict: a check that changes none
    /// of it touches nothing (no view is rebuilt).
    pub(super) fn shown(&self) -> Shown {
        let k = self.kernel.map(|k| {
            let f = k.figures;
            let busy = f.calls.others() > 0;
            (f.virtual_bytes, f.peak_virtual_bytes, f.mappings, busy)
        });
        (k, self.verdict)
    }

    /// Keeps figures `f` read at `at_ns` (a record's or a sweep's) as the kernel's latest,
    /// unless they are older than those it has (a sweep that raced an exec, a record from
    /// another CPU): then they judge nothing, and it returns false.
    pub(super) fn take_figures(&mut self, f: &Figures, at_ns: u64) -> bool {
        if self.kernel.is_some_and(|k| k.at_ns > at_ns) {
            return false;
        }
        let resident = self.kernel.and_then(|k| k.resident);
        self.kernel = Some(Kernel {
            figures: *f,
            at_ns,
            resident,
        });
        true
    }

    /// Keeps resident memory `r`, which a sweep read with the figures of `at_ns`, when those
    /// are still its latest: returns whether it changed.
    pub(super) fn take_resident(&mut self, at_ns: u64, r: Resident) -> bool {
        match &mut self.kernel {
            Some(k) if k.at_ns == at_ns && k.resident != Some(r) => {
                k.resident = Some(r);
                true
            }
            _ => false,
        }
    }

    /// Judges its ledger, with `bytes` in `mappings` mappings, by figures `f` read at `at_ns`
    /// (just taken): keeps the verdict, and counts it and the time a repair took in
    /// `counters`.
    pub(super) fn judge(
        &mut self,
        (f, at_ns): (&Figures, u64),
        (bytes, mappings): (u64, usize),
        counters: &mut Counters,
    ) -> Verdict {
        let verdict = self.check.judge(f, bytes, mappings);
        // A mismatch counts once, when it is found, however many checks see it before the
        // read that repairs it.
        if !matches!(verdict, Verdict::Mismatch(_)) || self.inexact_since.is_none() {
            counters.checks.count(verdict);
        }
        match verdict {
            Verdict::Exact => {
                if let Some(since) = self.inexact_since.take() {
                    let took = std::time::Duration::from_nanos(at_ns.saturating_sub(since));
                    counters.repairs.record(took);
                }
            }
            Verdict::Mismatch(_) => {
                self.inexact_since.get_or_insert(at_ns);
            }
            Verdict::Unchecked => {}
        }
        if verdict != Verdict::Unchecked {
            self.verdict = Some(verdict);
        }
        verdict
    }

    /// Counts syscall record `e` (of `kind`, from `site`), applied with `outcome` to an
    /// address space whose break was `brk_before`: its kind, whether it failed, and the
    /// call itself when the kernel refused it for want of memory or room.
    pub(super) fn count_call(
        &mut self,
        (e, kind, site): (&Event, &Kind, SiteId),
        outcome: Outcome,
        brk_before: Option<u64>,
    ) {
        self.comm = e.comm;
        self.calls.count(kind);
        // brk reports no errno: a break that could not grow stays below the one asked for.
        if let Kind::Brk { addr, ret } = *kind
            && addr != 0
            && (ret as u64) < addr
        {
            self.calls.count_failed(true);
        }
        if let Some(refused) = refused_call(e, brk_before, site) {
            self.refused.get_or_insert_default().note(refused);
        }
        if outcome == Outcome::Failed {
            self.calls.count_failed(kind.errno() == Some(libc::ENOMEM));
        }
    }
}

/// The kernel's own figures for a process's address space, and when they were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernel {
    pub figures: Figures,
    /// `CLOCK_MONOTONIC` ns.
    pub at_ns: u64,
    /// Resident memory, from the last sweep.
    pub resident: Option<Resident>,
}

impl Kernel {
    /// The figures event `e` carried, if any.
    pub(super) fn of(e: &Event) -> Option<Kernel> {
        e.figures.map(|figures| Kernel {
            figures,
            at_ns: e.ts_ns,
            resident: None,
        })
    }
}
