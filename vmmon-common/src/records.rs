//! The records the programs send, the kernel's figures they carry, and the per-thread and
//! per-process state the programs keep in maps.

use crate::linux::nr;
use crate::{COMM_LEN, FILENAME_LEN};

/// The kind of a record, the first field of every [`Header`]. The numbers never change.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `mmap(addr, len, prot, flags, fd, off)`, a [`SyscallRecord`].
    Mmap = 1,
    /// `munmap(addr, len)`, a [`SyscallRecord`].
    Munmap = 2,
    /// `mremap(old_addr, old_len, new_len, flags, new_addr)`, a [`SyscallRecord`].
    Mremap = 3,
    /// `mprotect(addr, len, prot)`, a [`SyscallRecord`].
    Mprotect = 4,
    /// `pkey_mprotect(addr, len, prot, pkey)`, a [`SyscallRecord`].
    PkeyMprotect = 5,
    /// `brk(addr)`, a [`SyscallRecord`].
    Brk = 6,
    /// `shmat(shmid, addr, shmflg)`, a [`SyscallRecord`].
    Shmat = 7,
    /// `shmdt(addr)`, a [`SyscallRecord`].
    Shmdt = 8,
    /// `madvise(addr, len, advice)` with an advice that changes a mapping's flags (so may
    /// split or merge mappings), a [`SyscallRecord`].
    Madvise = 9,
    /// `mlock(addr, len)`, a [`SyscallRecord`].
    Mlock = 10,
    /// `mlock2(addr, len, flags)`, a [`SyscallRecord`].
    Mlock2 = 11,
    /// `munlock(addr, len)`, a [`SyscallRecord`].
    Munlock = 12,
    /// `mlockall(flags)`, a [`SyscallRecord`].
    Mlockall = 13,
    /// `munlockall()`, a [`SyscallRecord`].
    Munlockall = 14,
    /// `mbind(addr, len, mode, nodemask, maxnode, flags)`, a [`SyscallRecord`].
    Mbind = 15,
    /// A new task (process or thread), a [`ForkRecord`].
    Fork = 16,
    /// A successful `execve`, an [`ExecRecord`].
    Exec = 17,
    /// A task leaving, an [`ExitRecord`].
    Exit = 18,
    /// `mseal(addr, len, flags)`, a [`SyscallRecord`].
    Mseal = 19,
    /// `prctl(PR_SET_VMA or PR_SET_MM, ...)`, a [`SyscallRecord`].
    Prctl = 20,
    /// `remap_file_pages(addr, size, prot, pgoff, flags)`, a [`SyscallRecord`].
    RemapFilePages = 21,
    /// `set_mempolicy_home_node(start, len, home_node, flags)`, a [`SyscallRecord`].
    SetMempolicyHomeNode = 22,
    /// `map_shadow_stack(addr, size, flags)`, a [`SyscallRecord`].
    MapShadowStack = 23,
    /// The OOM killer chose a process to kill (`mark_victim`), an [`OomRecord`] whose header
    /// is the victim's.
    OomKill = 24,
}

impl EventKind {
    /// Every kind, in number order.
    pub const ALL: [EventKind; 24] = [
        EventKind::Mmap,
        EventKind::Munmap,
        EventKind::Mremap,
        EventKind::Mprotect,
        EventKind::PkeyMprotect,
        EventKind::Brk,
        EventKind::Shmat,
        EventKind::Shmdt,
        EventKind::Madvise,
        EventKind::Mlock,
        EventKind::Mlock2,
        EventKind::Munlock,
        EventKind::Mlockall,
        EventKind::Munlockall,
        EventKind::Mbind,
        EventKind::Fork,
        EventKind::Exec,
        EventKind::Exit,
        EventKind::Mseal,
        EventKind::Prctl,
        EventKind::RemapFilePages,
        EventKind::SetMempolicyHomeNode,
        EventKind::MapShadowStack,
        EventKind::OomKill,
    ];

    /// The kind with number `n`, if there is one.
    pub const fn from_u32(n: u32) -> Option<Self> {
        let mut i = 0;
        while i < Self::ALL.len() {
            if Self::ALL[i] as u32 == n {
                return Some(Self::ALL[i]);
            }
            i += 1;
        }
        None
    }

    /// The syscall of a kind that is one, by its x86_64 number: the calls whose exit the
    /// programs report.
    #[inline(always)]
    pub const fn of_syscall(n: u64) -> Option<Self> {
        Some(match n {
            nr::MMAP => EventKind::Mmap,
            nr::MUNMAP => EventKind::Munmap,
            nr::MREMAP => EventKind::Mremap,
            nr::MPROTECT => EventKind::Mprotect,
            nr::PKEY_MPROTECT => EventKind::PkeyMprotect,
            nr::BRK => EventKind::Brk,
            nr::SHMAT => EventKind::Shmat,
            nr::SHMDT => EventKind::Shmdt,
            nr::MADVISE => EventKind::Madvise,
            nr::MLOCK => EventKind::Mlock,
            nr::MLOCK2 => EventKind::Mlock2,
            nr::MUNLOCK => EventKind::Munlock,
            nr::MLOCKALL => EventKind::Mlockall,
            nr::MUNLOCKALL => EventKind::Munlockall,
            nr::MBIND => EventKind::Mbind,
            nr::MSEAL => EventKind::Mseal,
            nr::PRCTL => EventKind::Prctl,
            nr::REMAP_FILE_PAGES => EventKind::RemapFilePages,
            nr::SET_MEMPOLICY_HOME_NODE => EventKind::SetMempolicyHomeNode,
            nr::MAP_SHADOW_STACK => EventKind::MapShadowStack,
            _ => return None,
        })
    }
}

/// Indices into the per-CPU counter array [`crate::MAP_COUNTERS`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// A record was lost because the ring buffer was full.
    RingFull = 0,
    /// Records offered to the ring buffer: those delivered plus those counted in `RingFull`.
    Offered = 1,
    /// Calls whose exit came without a mark from their enter (in flight when the programs
    /// attached): their records are not checked.
    Unmarked = 2,
    /// Calls whose thread's slot in [`crate::MAP_THREADS`] another thread's call held, so
    /// that their mark went to [`crate::MAP_SHARED_MARKS`] (a hash lookup more).
    SharedMark = 3,
    /// Calls that found no room for their mark at all: counted as a lost record of their
    /// process, which the agent then reads again.
    MarksFull = 4,
    /// Call sites captured (a [`SiteRecord`] with a caller).
    SitesCaptured = 5,
    /// Call sites whose frames found no room in [`crate::MAP_STACKS`]: their records carry
    /// the caller alone.
    SitesUnstored = 6,
}

/// Number of entries in [`crate::MAP_COUNTERS`].
pub const COUNTER_COUNT: u32 = 7;

/// The start of every record.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// An [`EventKind`] number.
    pub kind: u32,
    /// Process id (the kernel's tgid) of the task the event happened in.
    pub tgid: u32,
    /// Thread id (the kernel's pid) of that task.
    pub tid: u32,
    /// Explicit padding, zero.
    pub _pad: u32,
    /// `CLOCK_MONOTONIC` time of the event in nanoseconds (`bpf_ktime_get_ns`).
    pub ts_ns: u64,
    /// The task's `comm`, NUL padded.
    pub comm: [u8; COMM_LEN],
}

/// [`Figures::flags`]: the figures were read (the layout was resolved and the task had an
/// address space).
pub const FIGURES_KNOWN: u32 = 1;
/// [`Figures::flags`]: the record's own call is among [`Figures::inflight`] (its enter was
/// seen); without it, `inflight` counts only other calls.
pub const FIGURES_OWN_CALL: u32 = 2;

/// The kernel's own figures for an address space at the instant a record was made, and what
/// says whether the ledger can be held to them: the process's calls in flight then.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// `mm->total_vm`: pages mapped (`VmSize`).
    pub total_vm: u64,
    /// `mm->hiwater_vm` (pages): `VmPeak` is the larger of this and `total_vm`.
    pub hiwater_vm: u64,
    /// `mm->map_count`: mappings (VMAs), `[vsyscall]` not among them.
    pub map_count: u32,
    /// `FIGURES_*` bits.
    pub flags: u32,
    /// The process's traced calls in flight when the figures were read (a syscall record's
    /// own call among them).
    pub inflight: u32,
    /// The process's count of traced calls entered, read before the figures ...
    pub enters_before: u32,
    /// ... and after them: a call that began in between may or may not be in them.
    pub enters_after: u32,
    /// The process's records lost so far (ring full): a change means the ledger missed some.
    pub lost: u32,
}

/// Resident memory by type, when a process's address space is released or swept (pages).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resident {
    /// `mm->hiwater_rss`: `VmHWM` is the larger of this and the resident total.
    pub hiwater_rss: u64,
    /// Resident file pages (`RssFile`).
    pub file: u64,
    /// Resident anonymous pages (`RssAnon`).
    pub anon: u64,
    /// Resident shared memory pages (`RssShmem`).
    pub shmem: u64,
    /// Pages swapped out (`VmSwap`).
    pub swap: u64,
}

/// A completed syscall: its arguments (from the registers at its exit), its result, and the
/// figures of the caller's address space just after it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallRecord {
    /// The common header; `kind` is one of the syscall kinds.
    pub header: Header,
    /// The syscall's arguments in order (unused ones are whatever the registers held).
    pub args: [u64; 6],
    /// The syscall's return value: an address or 0 on success, `-errno` on failure
    /// (`brk` returns the new break, or the old one when it fails).
    pub ret: i64,
    /// The address space's figures after the call.
    pub figures: Figures,
    /// Where the call came from, for calls that grow the address space by at least the
    /// threshold ([`crate::GLOBAL_SITE_MIN_BYTES`]); zero otherwise.
    pub site: SiteRecord,
}

/// The call site of a syscall: the return address at the user stack pointer (the caller of
/// the syscall wrapper, which pushes nothing before `syscall`), and the id of its frames in
/// [`crate::MAP_STACKS`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SiteRecord {
    /// The word at the user stack pointer at the call; 0 when not captured or unreadable.
    pub caller: u64,
    /// The key of its [`SiteFrames`] in [`crate::MAP_STACKS`] (a hash of the frames, never
    /// 0); 0 when the frames were not stored.
    pub stack: u64,
}

/// A call site's frames, innermost first: the caller, then the return addresses a
/// frame-pointer walk found above it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiteFrames {
    /// Frames used in `frames`.
    pub len: u32,
    /// Explicit padding, zero.
    pub _pad: u32,
    pub frames: [u64; crate::SITE_FRAMES],
}

/// A new task, and where its address space comes from.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkRecord {
    /// The common header, describing the parent task.
    pub header: Header,
    /// Thread id of the new task.
    pub child_tid: u32,
    /// Process id (tgid) of the new task: the parent's for a thread, else `child_tid`.
    pub child_tgid: u32,
    /// The `clone` flags (`CLONE_VM`, `CLONE_THREAD`, ...).
    pub clone_flags: u64,
    /// The child's address space's figures as the copy left them.
    pub figures: Figures,
}

/// A successful exec: the process now runs a new image.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecRecord {
    /// The common header; `comm` is already the new image's.
    pub header: Header,
    /// Thread id that called exec (differs from `tgid` when a non-leader thread exec'd).
    pub old_tid: u32,
    /// Length of the file name in `filename`, without the NUL.
    pub filename_len: u32,
    /// The exec'd file name, truncated to fit, NUL terminated.
    pub filename: [u8; FILENAME_LEN],
    /// The new image's address space's figures.
    pub figures: Figures,
}

/// A task leaving.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// The common header, describing the leaving task.
    pub header: Header,
    /// 1 when this was the process's last thread: its address space is released.
    pub group_dead: u32,
    /// How it ended, as `wait` reports it (the exit code shifted left by 8, or the signal
    /// that killed it with 0x80 when it dumped core): the group's when the whole process was
    /// told to exit (`exit_group`, a fatal signal), else the task's own. Valid with
    /// [`EXIT_KNOWN`] in `ids_flags`.
    pub exit_code: u32,
    /// When the leaving task started (`CLOCK_MONOTONIC` ns, its `start_time`).
    pub start_ns: u64,
    /// The address space's figures as it is released.
    pub figures: Figures,
    /// Its resident memory as it is released (with `group_dead`).
    pub resident: Resident,
    /// Who it was as it left: real, effective and saved uid, then gid (in the initial user
    /// namespace), valid with [`IDS_KNOWN`] in `ids_flags`.
    pub uids: [u32; 3],
    pub gids: [u32; 3],
    /// [`IDS_KNOWN`], and [`IDS_DUMPABLE`] when its address space was dumpable
    /// (`SUID_DUMP_USER`): what the kernel's ptrace read check looks at; [`EXIT_KNOWN`] when
    /// `exit_code` was read, and [`EXIT_OOM_VICTIM`].
    pub ids_flags: u32,
    /// Explicit padding, zero.
    pub _pad2: u32,
}

/// [`ExitRecord::ids_flags`]: the ids were read.
pub const IDS_KNOWN: u32 = 1;
/// [`ExitRecord::ids_flags`]: the address space was dumpable by its owner.
pub const IDS_DUMPABLE: u32 = 2;
/// [`ExitRecord::ids_flags`]: [`ExitRecord::exit_code`] was read.
pub const EXIT_KNOWN: u32 = 4;
/// [`ExitRecord::ids_flags`]: the OOM killer had chosen the process (`tsk_is_oom_victim`:
/// its `signal->oom_mm` is set).
pub const EXIT_OOM_VICTIM: u32 = 8;

/// The OOM killer's choice of a victim, as it marks it (before the kill signal is
/// delivered): the header names the victim, not the task that ran out of memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OomRecord {
    /// The common header, describing the victim (its leader's thread id as `tid`).
    pub header: Header,
    /// The victim's address space's figures as it was chosen.
    pub figures: Figures,
    /// Its resident memory then.
    pub resident: Resident,
}

/// One process, as the task iterator sweeps every process's figures; or, with
/// [`SWEPT_THREAD`] as its kind, a [`SweepThread`] in its place.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepRecord {
    /// Process id.
    pub tgid: u32,
    /// [`SWEPT_PROCESS`].
    pub kind: u32,
    /// `CLOCK_MONOTONIC` ns when this process was read.
    pub ts_ns: u64,
    /// When the process started (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    /// Its address space's figures then.
    pub figures: Figures,
    /// Its resident memory then.
    pub resident: Resident,
}

/// [`SweepRecord::kind`]: a process's figures.
pub const SWEPT_PROCESS: u32 = 0;
/// [`SweepRecord::kind`]: a thread inside a traced call, a [`SweepThread`].
pub const SWEPT_THREAD: u32 = 1;

/// A thread the sweep found inside a traced call: when the call began, so that the agent
/// knows a call that has stayed in the kernel for long. As long as a [`SweepRecord`], so that
/// the iterator's output is a run of records of one size.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepThread {
    /// Process id.
    pub tgid: u32,
    /// [`SWEPT_THREAD`].
    pub kind: u32,
    /// `CLOCK_MONOTONIC` ns, and jiffies, when the thread was read.
    pub ts_ns: u64,
    pub now_jiffies: u64,
    /// Jiffies when its call began (the enter's mark).
    pub since_jiffies: u64,
    /// Thread id, and the call's syscall number.
    pub tid: u32,
    pub nr: u32,
    /// Explicit padding, zero.
    pub _pad: [u64; 8],
}

/// Per process (at [`crate::slot_of`] its tgid in [`crate::MAP_PROCESSES`]): what the records'
/// [`Figures`] report of its calls. Changed only by atomic adds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InFlight {
    /// Traced calls entered, ever (the high 32 bits, wrapping), and those entered and not
    /// yet reported (the low 32 bits, which never go below zero): one word, so that an enter
    /// counts both with one atomic add, and one read sees both at the same instant.
    pub calls: u64,
    /// Records lost (ring full).
    pub lost: u64,
}

/// What one traced call's enter adds to [`InFlight::calls`] (and its exit takes away the
/// low part of): one more entered, one more in flight.
pub const CALL_ENTERED: u64 = (1 << 32) | 1;
/// What a call whose enter could not mark its thread adds: entered, but not counted in
/// flight (no exit will un-count it).
pub const CALL_UNMARKED: u64 = 1 << 32;

impl InFlight {
    /// The calls in flight in a reading of [`InFlight::calls`].
    #[inline(always)]
    pub const fn in_flight(calls: u64) -> u32 {
        calls as u32
    }

    /// The calls entered (wrapping) in a reading of [`InFlight::calls`].
    #[inline(always)]
    pub const fn entered(calls: u64) -> u32 {
        (calls >> 32) as u32
    }
}

/// A thread's slot (in [`crate::MAP_THREADS`] at [`crate::slot_of`] its tid, or in
/// [`crate::MAP_SHARED_MARKS`]): the traced call it is in, and since when.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ThreadSlot {
    /// A [`thread_mark`], 0 when the slot is free.
    pub mark: u64,
    /// When the call began, in jiffies (`bpf_jiffies64`: the kernel's tick count, a word to
    /// read where the clock reads the TSC).
    pub since_jiffies: u64,
}

/// A thread's mark (in [`crate::MAP_THREADS`] at [`crate::slot_of`] its tid, or in
/// [`crate::MAP_SHARED_MARKS`]): the traced call `nr` it is in. One word, so that a free
/// slot (0) is claimed by one compare-and-swap. Thread ids are never 0.
#[inline(always)]
pub const fn thread_mark(tid: u32, nr: u32) -> u64 {
    ((nr as u64) << 32) | tid as u64
}

#[cfg(test)]
mod tests;
