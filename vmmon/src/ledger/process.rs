//! A process as the ledger tracks it, and what the ledger asks for when it needs to read
//! one from `/proc`.

use super::check::{CheckState, Mismatch, Verdict};
use super::refused::Refused;
use super::sites::SiteTotal;
use super::space::RegionMap;
use crate::event::{Comm, ExitCause, Figures, Kind, Resident};

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
}

/// A process the ledger tracks.
#[derive(Clone, Debug)]
pub struct Process {
    pub tgid: u32,
    pub comm: Comm,
    /// Which address space it uses (shared with threads and `CLONE_VM` children).
    pub space: u64,
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
    pub fn new(tgid: u32, comm: Comm, space: u64, since_ns: u64) -> Self {
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

/// A process whose address space was released: its footprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exited {
    pub pid: u32,
    pub comm: Comm,
    pub unit: Option<std::sync::Arc<str>>,
    /// When it started and when it exited (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    pub exit_ns: u64,
    /// The kernel's figures at the exit, when known.
    pub peak_virtual_bytes: Option<u64>,
    pub peak_resident_bytes: Option<u64>,
    pub mappings: Option<u32>,
    /// Its calls to the end, and the bytes it mapped and unmapped.
    pub calls: CallCounts,
    pub mapped_bytes: u64,
    pub unmapped_bytes: u64,
    /// Who it was as it left, when the kernel said.
    pub ids: Option<crate::access::Ids>,
    /// How it ended, when the kernel said.
    pub cause: Option<ExitCause>,
    /// The calls the kernel refused it.
    pub refused: Option<Box<Refused>>,
    /// What held its mapped bytes as it left: its top call sites, most bytes first (at most
    /// [`EXIT_SITES`]), then the bytes no captured call made.
    pub sites: Vec<SiteTotal>,
    /// Its mappings as it left, when some call site is known (to name the sites' frames
    /// with); the owner keeps only the ones the frames are in.
    pub regions: Option<RegionMap>,
}

/// The most call sites an exit keeps.
pub const EXIT_SITES: usize = 8;

/// Why the ledger asks for a snapshot of a process's maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A new image: the kernel builds it without syscalls.
    Exec,
    /// A process the ledger did not know (started before the agent, or a missed fork).
    Unknown,
    /// A check found the ledger wrong.
    Mismatch(Mismatch),
    /// A call whose effect only `/proc` shows (a shared memory segment's size, a name).
    Effect,
    /// A call that has stayed in the kernel longer than a sweep interval while the kernel's
    /// figures are ahead of the ledger (it maps and populates or locks, and its mapping is
    /// in `/proc` long before it returns).
    LongCall,
}

/// What applying one event did, besides changing the ledger.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// The process's maps must be read.
    pub need: Option<Need>,
    /// What holding the ledger to the event's figures found.
    pub verdict: Option<Verdict>,
    /// The process left: its footprint.
    pub exited: Option<Exited>,
}

impl Applied {
    /// Only a read to ask for.
    pub fn need(need: Option<Need>) -> Self {
        Self {
            need,
            ..Self::default()
        }
    }
}

/// A request for `/proc/PID/maps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub tgid: u32,
    pub reason: Reason,
}
