//! What vmmon's eBPF programs and its agent agree on: the ring-buffer records and the
//! kernel's figures they carry ([`Header`], [`Figures`], ...), the event-kind ids, the names
//! of maps and globals, the struct layout the agent resolves from the running kernel's BTF
//! ([`Layout`]), the one list of programs and their hooks ([`for_each_program!`]), and the
//! kernel's numbers for flags and syscalls ([`linux`]).
//!
//! Every record is `#[repr(C)]` with explicit padding so that both sides see the same bytes.
//! The numbers of [`EventKind`] never change: a recorded stream stays decodable.
#![no_std]

mod layout;
pub mod linux;
mod programs;
mod records;

pub use layout::{Layout, MAX_CPUS};
pub use programs::{Hook, PROGRAMS, Program};
pub use records::*;

// The programs' maps. The kernel crate names each map after its static (`#[map]` without a
// name): these constants are the userspace's spelling, and the agent's unit tests check that
// the object has exactly the maps of [`MAPS`] and every `GLOBAL_*` global.

/// Name of the ring buffer that carries every record to userspace.
pub const MAP_EVENTS: &str = "EVENTS";
/// Name of the array of per-thread marks (a [`thread_mark`] at [`slot_of`] its tid): which
/// traced call each thread is in.
pub const MAP_THREADS: &str = "THREADS";
/// Name of the hash map of the marks of threads whose slot in [`MAP_THREADS`] was taken.
pub const MAP_SHARED_MARKS: &str = "SHARED_MARKS";
/// Name of the array of per-process counters (an [`InFlight`] at [`slot_of`] its tgid).
pub const MAP_PROCESSES: &str = "PROCESSES";
/// Name of the per-CPU array of kernel-side counters, indexed by [`Counter`].
pub const MAP_COUNTERS: &str = "COUNTERS";
/// Name of the LRU hash map of call sites' frames ([`SiteFrames`]) by id
/// ([`SiteRecord::stack`]).
pub const MAP_STACKS: &str = "STACKS";
/// Name of the per-CPU scratch entry a call site's frames are gathered in.
pub const MAP_SITE_SCRATCH: &str = "SITE_SCRATCH";
/// Every map of the programs' object, by name.
pub const MAPS: [&str; 7] = [
    MAP_EVENTS,
    MAP_THREADS,
    MAP_SHARED_MARKS,
    MAP_PROCESSES,
    MAP_COUNTERS,
    MAP_STACKS,
    MAP_SITE_SCRATCH,
];
/// Name of the global: the least bytes a growing call must add for its call site to be
/// captured ([`SITES_OFF`]: never; 0: every growing call).
pub const GLOBAL_SITE_MIN_BYTES: &str = "SITE_MIN_BYTES";
/// Name of the global: the most frames of a call site (the caller and the frame-pointer
/// walk above it), at most [`SITE_FRAMES`].
pub const GLOBAL_SITE_DEPTH: &str = "SITE_DEPTH";
/// [`GLOBAL_SITE_MIN_BYTES`] when call sites are not captured.
pub const SITES_OFF: u64 = u64::MAX;
/// The most frames a call site keeps.
pub const SITE_FRAMES: usize = 32;
/// Frames kept per call site unless configured (`pipeline.call_site_depth`).
pub const DEFAULT_SITE_DEPTH: u32 = 8;
/// Entries in [`MAP_STACKS`] (least recently used out first). The agent reads each new id
/// at its next drain and keeps what it read, so this bounds the new call sites between two
/// drains, not the call sites known.
pub const STACK_SLOTS: u32 = 16384;
/// Name of the global that holds the agent's own tgid, whose events the programs skip.
pub const GLOBAL_AGENT_TGID: &str = "AGENT_TGID";
/// Name of the global that holds the ring buffer's size in bytes, for the wakeup policy.
pub const GLOBAL_RING_BYTES: &str = "RING_BYTES";
/// Name of the global [`Layout`]: where the kernel keeps the fields the programs read.
pub const GLOBAL_LAYOUT: &str = "LAYOUT";

/// Default size of the ring buffer in bytes (a power of two, a multiple of the page size).
pub const DEFAULT_RING_BYTES: u32 = 8 << 20;
/// The smallest ring buffer, in bytes: a page (the kernel wants a power-of-two multiple of
/// the page size).
pub const MIN_RING_BYTES: u32 = 4096;
/// The largest ring buffer vmmon accepts, in bytes (1 GiB).
pub const MAX_RING_BYTES: u32 = 1 << 30;
/// Whether `bytes` is a ring-buffer size the kernel takes and vmmon accepts: a power of two
/// from [`MIN_RING_BYTES`] to [`MAX_RING_BYTES`].
pub const fn ring_bytes_valid(bytes: u64) -> bool {
    bytes.is_power_of_two() && MIN_RING_BYTES as u64 <= bytes && bytes <= MAX_RING_BYTES as u64
}
const _: () = assert!(ring_bytes_valid(DEFAULT_RING_BYTES as u64));
/// Entries in [`MAP_THREADS`] (a power of two). With `pid_max` at its usual 32768 no two
/// threads share one; when two in a call at once do, the later keeps its mark in
/// [`MAP_SHARED_MARKS`].
pub const THREAD_SLOTS: u32 = 32768;
/// Entries in [`MAP_SHARED_MARKS`]: threads in a traced call at once whose slot was taken.
pub const SHARED_MARK_SLOTS: u32 = 8192;
/// Name of the global mask applied to a tid before [`THREAD_SLOTS`] (all ones but in tests,
/// which set it to share slots).
pub const GLOBAL_THREAD_MASK: &str = "THREAD_MASK";
/// Entries in [`MAP_PROCESSES`] (a power of two). Processes that share an entry share their
/// counters: their records are checked less often, never wrongly.
pub const PROCESS_SLOTS: u32 = 32768;

/// The slot of id `id` (a tid or a tgid) in a map of `slots` entries (a power of two): a
/// permutation of the ids modulo `slots` (multiplying by an odd number is one), so that two
/// ids below `slots` never share a slot, that scatters neighbours. Threads and processes
/// made one after the other have neighbouring ids and run on other CPUs: in neighbouring
/// slots they would share a cache line, which every call would pull from CPU to CPU.
#[inline(always)]
pub const fn slot_of(id: u32, slots: u32) -> u32 {
    id.wrapping_mul(SLOT_SPREAD) & (slots - 1)
}

/// The odd multiplier of [`slot_of`]: neighbouring ids land thousands of entries apart.
const SLOT_SPREAD: u32 = 0x9E37;

/// The programs check how full the ring buffer is once every this many records per CPU
/// (a power of two), and wake the agent early when it is a quarter full.
pub const FILL_CHECK_EVERY: u64 = 64;

/// Length of a task's `comm` in the kernel, NUL padded.
pub const COMM_LEN: usize = 16;
/// Bytes of an exec'd file name carried in an [`ExecRecord`], NUL terminated.
pub const FILENAME_LEN: usize = 128;

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
    unsafe impl aya::Pod for super::OomRecord {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::SweepRecord {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::SweepThread {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::Layout {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::InFlight {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::SiteFrames {}
    // SAFETY: as above.
    unsafe impl aya::Pod for super::ThreadSlot {}
}

#[cfg(test)]
mod tests;
