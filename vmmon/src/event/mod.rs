//! What happened to an address space: typed [`Event`]s, decoded from ring-buffer records
//! ([`decode`]). Pure: bytes in, values out.

mod comm;
mod decode;
mod exit_cause;
mod figures;
mod jiffies;
mod site;
mod syscall;

pub use comm::Comm;
pub use decode::{DecodeError, decode, decode_sweep};
pub use exit_cause::{ExitCause, ExitStatus};
pub use figures::{Calls, Figures, Resident, Swept};
pub use site::CallSite;
pub use syscall::{Syscall, event_names};
use vmmon_common::linux::{CLONE_THREAD, CLONE_VM, is_err_value};

/// One thing that happened to an address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `CLOCK_MONOTONIC` nanoseconds.
    pub ts_ns: u64,
    /// Process id.
    pub tgid: u32,
    /// Thread id.
    pub tid: u32,
    /// The task's comm at the time.
    pub comm: Comm,
    /// What happened.
    pub kind: Kind,
    /// The kernel's figures for the address space just after (for a fork, the child's);
    /// `None` when the kernel's layout is not known.
    pub figures: Option<Figures>,
    /// Where a call that grew the address space came from, when captured.
    pub site: Option<CallSite>,
}

/// What the kernel says of a process's address space as it is released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Footprint {
    /// When the process started (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    /// Its resident memory then, with its peak.
    pub resident: Resident,
    /// Who it was and whether it was dumpable (who may read its details); `None` when the
    /// kernel's layout of credentials is not known.
    pub ids: Option<crate::access::Ids>,
}

/// What happened, with the syscall's arguments and result where it was a syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Mmap {
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        fd: i32,
        offset: u64,
        ret: i64,
    },
    Munmap {
        addr: u64,
        len: u64,
        ret: i64,
    },
    Mremap {
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
        ret: i64,
    },
    Mprotect {
        addr: u64,
        len: u64,
        prot: u32,
        ret: i64,
    },
    PkeyMprotect {
        addr: u64,
        len: u64,
        prot: u32,
        pkey: i32,
        ret: i64,
    },
    Brk {
        addr: u64,
        ret: i64,
    },
    /// Attaches a System V shared memory segment; its size is the segment's.
    Shmat {
        shmid: i32,
        addr: u64,
        flags: u32,
        ret: i64,
    },
    Shmdt {
        addr: u64,
        ret: i64,
    },
    /// A call that changes mappings' flags (madvise, mlock, mseal, ...) or makes mappings
    /// the ledger reads from `/proc` (prctl, remap_file_pages, ...), with its raw arguments
    /// (named by [`Syscall::arg_names`]).
    Adjust {
        call: Syscall,
        args: [u64; 6],
        ret: i64,
    },
    /// A new task. `clone_flags` is `None` when the programs missed them (then `child_tgid`
    /// is a guess: the child's tid).
    Fork {
        child_tgid: u32,
        child_tid: u32,
        clone_flags: Option<u64>,
    },
    /// A successful exec; the event's comm is the new image's.
    Exec {
        filename: String,
        old_tid: u32,
    },
    /// A task left; `group_dead` when it was the process's last thread, then with the
    /// released address space's footprint when the kernel's layout is known, and how it
    /// ended when the kernel said. (The footprint is boxed: most events are syscalls, and
    /// every event is as large as the largest kind.)
    Exit {
        group_dead: bool,
        footprint: Option<Box<Footprint>>,
        status: Option<ExitStatus>,
    },
    /// The OOM killer chose this process to kill; its resident memory then.
    OomKill {
        resident: Resident,
    },
}

impl Kind {
    /// A successful private anonymous read-write `mmap` of `len` bytes that returned `at`: the
    /// most common call, as tests and the ledger's benchmark make it.
    pub fn anon_mmap(at: u64, len: u64) -> Self {
        use vmmon_common::linux::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
        Kind::Mmap {
            addr: 0,
            len,
            prot: PROT_READ | PROT_WRITE,
            flags: MAP_PRIVATE | MAP_ANONYMOUS,
            fd: -1,
            offset: 0,
            ret: at as i64,
        }
    }

    /// The event's name as used in output and filters.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Mmap { .. } => "mmap",
            Kind::Munmap { .. } => "munmap",
            Kind::Mremap { .. } => "mremap",
            Kind::Mprotect { .. } => "mprotect",
            Kind::PkeyMprotect { .. } => "pkey_mprotect",
            Kind::Brk { .. } => "brk",
            Kind::Shmat { .. } => "shmat",
            Kind::Shmdt { .. } => "shmdt",
            Kind::Adjust { call, .. } => call.name(),
            Kind::Fork { .. } => "fork",
            Kind::Exec { .. } => "exec",
            Kind::Exit { .. } => "exit",
            Kind::OomKill { .. } => "oom_kill",
        }
    }

    /// The syscall, for syscall events.
    pub fn syscall(&self) -> Option<Syscall> {
        Some(match self {
            Kind::Mmap { .. } => Syscall::Mmap,
            Kind::Munmap { .. } => Syscall::Munmap,
            Kind::Mremap { .. } => Syscall::Mremap,
            Kind::Mprotect { .. } => Syscall::Mprotect,
            Kind::PkeyMprotect { .. } => Syscall::PkeyMprotect,
            Kind::Brk { .. } => Syscall::Brk,
            Kind::Shmat { .. } => Syscall::Shmat,
            Kind::Shmdt { .. } => Syscall::Shmdt,
            Kind::Adjust { call, .. } => *call,
            Kind::Fork { .. } | Kind::Exec { .. } | Kind::Exit { .. } | Kind::OomKill { .. } => {
                return None;
            }
        })
    }

    /// The syscall's return value, for syscall events.
    pub fn ret(&self) -> Option<i64> {
        match *self {
            Kind::Mmap { ret, .. }
            | Kind::Munmap { ret, .. }
            | Kind::Mremap { ret, .. }
            | Kind::Mprotect { ret, .. }
            | Kind::PkeyMprotect { ret, .. }
            | Kind::Brk { ret, .. }
            | Kind::Shmat { ret, .. }
            | Kind::Shmdt { ret, .. }
            | Kind::Adjust { ret, .. } => Some(ret),
            Kind::Fork { .. } | Kind::Exec { .. } | Kind::Exit { .. } | Kind::OomKill { .. } => {
                None
            }
        }
    }

    /// The errno of a failed syscall. `brk` reports failure by not moving the break, so it
    /// never has one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Kind::Brk { .. } => None,
            _ => self.ret().filter(|&r| is_err_value(r)).map(|r| -r as i32),
        }
    }
}

impl Event {
    /// An event with no figures (as a kernel without a known layout gives them; and tests).
    pub fn new(ts_ns: u64, tgid: u32, tid: u32, comm: Comm, kind: Kind) -> Self {
        Self {
            ts_ns,
            tgid,
            tid,
            comm,
            kind,
            figures: None,
            site: None,
        }
    }

    /// Whether this is the exit of a process's last thread.
    pub fn is_process_exit(&self) -> bool {
        matches!(
            self.kind,
            Kind::Exit {
                group_dead: true,
                ..
            }
        )
    }

    /// For a fork: whether the child shares the parent's address space (a thread, or a
    /// `CLONE_VM` child such as vfork's until it execs).
    pub fn shares_vm(&self) -> Option<bool> {
        match self.kind {
            Kind::Fork {
                clone_flags: Some(f),
                ..
            } => Some(f & CLONE_VM != 0),
            _ => None,
        }
    }

    /// For a fork: whether the child is a thread of the parent's process.
    pub fn is_thread(&self) -> Option<bool> {
        match self.kind {
            Kind::Fork {
                clone_flags: Some(f),
                ..
            } => Some(f & CLONE_THREAD != 0),
            _ => None,
        }
    }
}
