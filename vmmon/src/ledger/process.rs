//! A process as the ledger tracks it, and what the ledger asks for when it needs to read
//! one from `/proc`.

use crate::event::{Comm, Kind};

/// Syscalls seen from a process, by kind (`calls` in the API).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallCounts {
    pub mmap: u64,
    pub munmap: u64,
    pub mremap: u64,
    /// mprotect and pkey_mprotect.
    pub mprotect: u64,
    pub brk: u64,
    /// Calls of those that failed.
    pub failed: u64,
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
            Kind::Fork { .. } | Kind::Exec { .. } | Kind::Exit { .. } => return,
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
}

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
