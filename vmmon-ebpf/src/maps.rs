//! The maps and load-time globals shared by every program.

use aya_ebpf::{
    macros::map,
    maps::{Array, HashMap, LruHashMap, PerCpuArray, RingBuf},
};
use core::intrinsics::{AtomicOrdering, atomic_cxchg, atomic_xadd};
use vmmon_common::{
    COUNTER_COUNT, Counter, DEFAULT_RING_BYTES, InFlight, Layout, PROCESS_SLOTS, SHARED_MARK_SLOTS,
    STACK_SLOTS, SiteFrames, THREAD_SLOTS, ThreadSlot, slot_of, thread_mark,
};

/// Every record for userspace. Its size is set again at load time (`RING_BYTES`).
#[map]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(DEFAULT_RING_BYTES, 0);

/// Per thread, at [`slot_of`] its tid: the traced call it is in ([`thread_mark`], 0 when
/// free) and since when. An array, so that the verifier inlines the lookup (a hash lookup
/// would be a helper call on every traced call).
#[map]
pub static THREADS: Array<ThreadSlot> = Array::with_max_entries(THREAD_SLOTS, 0);

/// The slots of threads whose slot in [`THREADS`] was held by another thread's call.
#[map]
pub static SHARED_MARKS: HashMap<u32, ThreadSlot> = HashMap::with_max_entries(SHARED_MARK_SLOTS, 0);

/// Per process, at [`slot_of`] its tgid: its calls in flight, entered, and records lost.
#[map]
pub static PROCESSES: Array<InFlight> = Array::with_max_entries(PROCESS_SLOTS, 0);

/// Call sites' frames by id (see `sites`), least recently used out first: the agent reads
/// each new id at its next drain and keeps what it read.
#[map]
pub static STACKS: LruHashMap<u64, SiteFrames> = LruHashMap::with_max_entries(STACK_SLOTS, 0);

/// Per CPU: counters indexed by [`Counter`], summed by userspace.
#[map]
pub static COUNTERS: PerCpuArray<u64> = PerCpuArray::with_max_entries(COUNTER_COUNT, 0);

/// The agent's own tgid, set at load time: its own calls are not reported.
#[unsafe(no_mangle)]
static AGENT_TGID: u32 = 0;

/// Applied to a tid before [`THREAD_SLOTS`]: all ones, but in tests that make threads
/// share slots.
#[unsafe(no_mangle)]
static THREAD_MASK: u32 = u32::MAX;

/// The ring buffer's size in bytes, set at load time with the map's size.
#[unsafe(no_mangle)]
static RING_BYTES: u32 = DEFAULT_RING_BYTES;

/// Where the running kernel keeps the fields the programs read, set at load time from its
/// BTF. Read-only: the verifier takes every field as a constant.
#[unsafe(no_mangle)]
pub static LAYOUT: Layout = Layout {
    task_known: 0,
    task_pid: 0,
    task_tgid: 0,
    task_comm: 0,
    task_mm: 0,
    task_start_time: 0,
    mm_known: 0,
    mm_total_vm: 0,
    mm_hiwater_vm: 0,
    mm_map_count: 0,
    mm_hiwater_rss: 0,
    rss_file: 0,
    rss_anon: 0,
    rss_swap: 0,
    rss_shmem: 0,
    rss_file_cpu: 0,
    rss_anon_cpu: 0,
    rss_swap_cpu: 0,
    rss_shmem_cpu: 0,
    nr_cpus: 0,
    bpf_array_pptrs: 0,
    bprm_filename: 0,
    creds_known: 0,
    task_real_cred: 0,
    cred_uid: 0,
    cred_euid: 0,
    cred_suid: 0,
    cred_gid: 0,
    cred_egid: 0,
    cred_sgid: 0,
    mm_flags: 0,
    exit_known: 0,
    task_exit_code: 0,
    task_signal: 0,
    signal_flags: 0,
    signal_group_exit_code: 0,
    signal_oom_mm: 0,
};

/// Reads a load-time global (or a field of one), which the loader may have rewritten:
/// volatile, so that the compiler does not fold the placeholder value in.
#[inline(always)]
pub fn read_global<T: Copy>(global: &'static T) -> T {
    // SAFETY: a reference to a static is valid and aligned; nothing writes it while the
    // program runs.
    unsafe { core::ptr::read_volatile(global) }
}

/// Reads one field of [`LAYOUT`], as a `usize`.
#[macro_export]
macro_rules! layout {
    ($field:ident) => {
        $crate::maps::read_global(&$crate::maps::LAYOUT.$field) as usize
    };
}

#[inline(always)]
pub fn agent_tgid() -> u32 {
    read_global(&AGENT_TGID)
}

#[inline(always)]
pub fn ring_bytes() -> u64 {
    u64::from(read_global(&RING_BYTES))
}

#[inline(always)]
pub fn count(counter: Counter) {
    if let Some(slot) = COUNTERS.get_ptr_mut(counter as u32) {
        // SAFETY: a per-CPU slot, only this CPU writes it and programs do not nest here.
        unsafe { *slot += 1 };
    }
}

/// Adds `n` (wrapping: `u64::MAX` subtracts one) to a counter other CPUs change too.
///
/// # Safety
/// `counter` must point to an aligned `u64` in a live map value (an element a lookup of this
/// program returned), which others change only by atomic adds.
#[inline(always)]
pub unsafe fn add(counter: *mut u64, n: u64) {
    // SAFETY: the caller's contract; the add is atomic, and its result is not used, so it is
    // a plain BPF atomic add (no fetch, which older CPUs of the BPF instruction set lack).
    unsafe { atomic_xadd::<u64, u64, { AtomicOrdering::Relaxed }>(counter, n) };
}

/// The process's entry in [`PROCESSES`].
#[inline(always)]
pub fn process(tgid: u32) -> Option<*mut InFlight> {
    PROCESSES.get_ptr_mut(slot_of(tgid, PROCESS_SLOTS))
}

/// Marks thread `tid` as in the traced call `nr` since `since_jiffies`: in its slot of
/// [`THREADS`] if that is free (claimed by one compare-and-swap, as another CPU may claim it
/// at once), else in [`SHARED_MARKS`]. False when there is no room for the mark.
#[inline(always)]
pub fn mark(tid: u32, nr: u32, since_jiffies: u64) -> bool {
    let mark = thread_mark(tid, nr);
    let mask = read_global(&THREAD_MASK);
    if let Some(slot) = THREADS.get_ptr_mut(slot_of(tid & mask, THREAD_SLOTS)) {
        // SAFETY: a live array element, whose mark changes only by this compare-and-swap
        // (from free) and by its owner (back to free); its time only by its owner.
        unsafe {
            let (_, claimed) = atomic_cxchg::<
                u64,
                { AtomicOrdering::Relaxed },
                { AtomicOrdering::Relaxed },
            >(&raw mut (*slot).mark, 0, mark);
            if claimed {
                (*slot).since_jiffies = since_jiffies;
                return true;
            }
        }
    }
    count(Counter::SharedMark);
    SHARED_MARKS
        .insert(
            tid,
            ThreadSlot {
                mark,
                since_jiffies,
            },
            0,
        )
        .is_ok()
}

/// Takes thread `tid`'s mark for call `nr` away (any call's, for `None`); true if it was
/// there (the call's enter was seen and counted).
#[inline(always)]
pub fn unmark(tid: u32, nr: Option<u32>) -> bool {
    let ours = |mark: u64| match nr {
        Some(nr) => mark == thread_mark(tid, nr),
        None => mark as u32 == tid,
    };
    let mask = read_global(&THREAD_MASK);
    if let Some(slot) = THREADS.get_ptr_mut(slot_of(tid & mask, THREAD_SLOTS)) {
        // SAFETY: as in `mark`; only the owner stores, and only its own mark back to free.
        unsafe {
            if ours(core::ptr::read_volatile(&raw const (*slot).mark)) {
                core::ptr::write_volatile(&raw mut (*slot).mark, 0);
                return true;
            }
        }
    }
    // SAFETY: only this thread inserts or removes its own entry.
    match unsafe { SHARED_MARKS.get(tid) } {
        Some(found) if ours(found.mark) => SHARED_MARKS.remove(tid).is_ok(),
        _ => false,
    }
}

/// The traced call thread `tid` is in, as its mark says: `(syscall number, since_jiffies)`.
#[inline(always)]
pub fn in_call(tid: u32) -> Option<(u32, u64)> {
    let mask = read_global(&THREAD_MASK);
    if let Some(slot) = THREADS.get_ptr(slot_of(tid & mask, THREAD_SLOTS)) {
        // SAFETY: a live array element; a torn read of a mark another CPU is changing at
        // most misses a call or reports one just ended (the agent only ages calls).
        let (mark, since) = unsafe {
            (
                core::ptr::read_volatile(&raw const (*slot).mark),
                core::ptr::read_volatile(&raw const (*slot).since_jiffies),
            )
        };
        if mark != 0 && mark as u32 == tid {
            return Some(((mark >> 32) as u32, since));
        }
    }
    // SAFETY: a lookup; the value is copied out at once.
    let shared = unsafe { SHARED_MARKS.get(tid) }?;
    (shared.mark as u32 == tid).then_some(((shared.mark >> 32) as u32, shared.since_jiffies))
}
