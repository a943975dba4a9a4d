//! What vmmon's eBPF programs and its agent agree on: the ring-buffer records, the event-kind
//! ids, the names of maps and globals, the indices of the kernel-side counters, the one list of
//! programs and their hooks ([`for_each_program!`]), and the kernel's flag numbers ([`linux`]).
//!
//! Every record is `#[repr(C)]` with explicit padding so that both sides see the same bytes.
//! The numbers of [`EventKind`] never change: a recorded stream stays decodable.
#![no_std]

pub mod linux;
mod programs;

pub use programs::{Hook, PROGRAMS, Program};

/// Name of the ring buffer that carries every record to userspace.
pub const MAP_EVENTS: &str = "EVENTS";
/// Name of the array of per-thread slots indexed by `tid % FAST_SLOTS`: the fast path that
/// keeps a syscall's arguments between enter and exit.
pub const MAP_FAST_SLOTS: &str = "FAST_SLOTS";
/// Name of the map whose entries make claims on [`MAP_FAST_SLOTS`] slots atomic.
pub const MAP_SLOT_CLAIMS: &str = "SLOT_CLAIMS";
/// Name of the per-thread hash map used by threads whose fast slot another thread holds.
pub const MAP_PENDING: &str = "PENDING";
/// Name of the per-CPU array of kernel-side counters, indexed by [`Counter`].
pub const MAP_COUNTERS: &str = "COUNTERS";
/// Name of the global that holds the agent's own tgid, whose events the programs skip.
pub const GLOBAL_AGENT_TGID: &str = "AGENT_TGID";
/// Name of the global that holds the ring buffer's size in bytes, for the wakeup policy.
pub const GLOBAL_RING_BYTES: &str = "RING_BYTES";
/// Name of the global mask that maps a tid to its fast slot (`FAST_SLOTS - 1` unless a test
/// narrows it to exercise the shared-slot paths).
pub const GLOBAL_FAST_MASK: &str = "FAST_MASK";

/// Default size of the ring buffer in bytes (a power of two, a multiple of the page size).
pub const DEFAULT_RING_BYTES: u32 = 8 << 20;
/// Slots in [`MAP_FAST_SLOTS`] (a power of two). Array lookups are inlined by the verifier,
/// hash lookups are calls; with `pid_max` at its usual 32768 no two threads share a slot.
pub const FAST_SLOTS: u32 = 32768;
/// Entries in [`MAP_PENDING`]: threads inside a traced syscall at once whose fast slot is
/// taken. A thread that finds it full is counted in [`Counter::PendingFull`].
pub const PENDING_ENTRIES: u32 = 16384;

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
    /// A new task (process or thread), a [`ForkRecord`].
    Fork = 16,
    /// A successful `execve`, an [`ExecRecord`].
    Exec = 17,
    /// A task leaving, an [`ExitRecord`].
    Exit = 18,
}

impl EventKind {
    /// The kind with number `n`, if there is one.
    pub const fn from_u32(n: u32) -> Option<Self> {
        Some(match n {
            1 => Self::Mmap,
            2 => Self::Munmap,
            3 => Self::Mremap,
            4 => Self::Mprotect,
            5 => Self::PkeyMprotect,
            6 => Self::Brk,
            16 => Self::Fork,
            17 => Self::Exec,
            18 => Self::Exit,
            _ => return None,
        })
    }
}

/// Indices into the per-CPU counter array [`MAP_COUNTERS`].
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    /// A record was lost because the ring buffer was full.
    RingFull = 0,
    /// A syscall's arguments could not be kept because the pending map was full:
    /// that call's event is lost.
    PendingFull = 1,
    /// A syscall exit arrived with no matching enter (the programs attached mid-call).
    ExitWithoutEnter = 2,
    /// Records offered to the ring buffer: those delivered plus those counted in `RingFull`.
    Offered = 3,
    /// Calls kept in the per-thread hash map because another thread owned the fast slot.
    SharedSlot = 4,
}

/// Number of entries in [`MAP_COUNTERS`].
pub const COUNTER_COUNT: u32 = 5;

/// The programs check how full the ring buffer is once every this many records per CPU
/// (a power of two), and wake the agent early when it is a quarter full.
pub const FILL_CHECK_EVERY: u64 = 64;

/// Length of a task's `comm` in the kernel, NUL padded.
pub const COMM_LEN: usize = 16;
/// Bytes of an exec'd file name carried in an [`ExecRecord`], NUL terminated.
pub const FILENAME_LEN: usize = 128;

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

/// A completed syscall: its arguments as the enter tracepoint saw them, and its result.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallRecord {
    /// The common header; `kind` is one of the syscall kinds.
    pub header: Header,
    /// The syscall's arguments in order (unused ones are zero).
    pub args: [u64; 6],
    /// The syscall's return value: an address or 0 on success, `-errno` on failure
    /// (`brk` returns the new break, or the old one when it fails).
    pub ret: i64,
}

/// Where the new task's address space comes from.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkRecord {
    /// The common header, describing the parent task.
    pub header: Header,
    /// Thread id of the new task.
    pub child_tid: u32,
    /// Process id (tgid) of the new task: the parent's for a thread, else `child_tid`.
    pub child_tgid: u32,
    /// The `clone` flags (`CLONE_VM`, `CLONE_THREAD`, ...), valid when `flags_known` is 1.
    pub clone_flags: u64,
    /// 1 when `clone_flags` and `child_tgid` are known, 0 when the programs missed them.
    pub flags_known: u32,
    /// Explicit padding, zero.
    pub _pad: u32,
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
}

/// A task leaving.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// The common header, describing the leaving task.
    pub header: Header,
    /// 1 when this was the process's last thread: its address space is gone.
    pub group_dead: u32,
    /// Explicit padding, zero.
    pub _pad: u32,
}

/// A thread's slot: the syscall in flight and its arguments, kept between the enter and exit
/// tracepoints, and the thread's comm, cached so that the hot path needs no helper call for it
/// (filled when the slot is taken, refreshed by `task_rename`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingCall {
    /// The [`EventKind`] of the call in flight, or 0 when none is.
    pub kind: u32,
    /// The thread that owns the slot (fast slots only; 0 when free).
    pub owner: u32,
    /// The arguments, as in [`SyscallRecord::args`].
    pub args: [u64; 6],
    /// The thread's comm.
    pub comm: [u8; COMM_LEN],
}

#[cfg(feature = "user")]
mod pod {
    // SAFETY: this and each record below is `#[repr(C)]`, made of integers and byte arrays
    // with explicit padding, so every bit pattern is a valid value.
    unsafe impl aya::Pod for super::Header {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::SyscallRecord {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::ForkRecord {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::ExecRecord {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::ExitRecord {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::PendingCall {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;

    #[test]
    fn records_have_no_implicit_padding() {
        assert_eq!(size_of::<Header>(), 40);
        assert_eq!(size_of::<SyscallRecord>(), 40 + 48 + 8);
        assert_eq!(size_of::<ForkRecord>(), 40 + 24);
        assert_eq!(size_of::<ExecRecord>(), 40 + 8 + FILENAME_LEN);
        assert_eq!(size_of::<ExitRecord>(), 40 + 8);
        assert_eq!(size_of::<PendingCall>(), 72);
    }

    #[test]
    fn kind_numbers_round_trip() {
        for n in 0..64 {
            if let Some(k) = EventKind::from_u32(n) {
                assert_eq!(k as u32, n);
            }
        }
        assert_eq!(EventKind::from_u32(0), None);
    }
}
