//! The maps and load-time globals shared by every program.

use aya_ebpf::{
    macros::map,
    maps::{Array, HashMap, PerCpuArray, RingBuf},
};
use vmmon_common::{
    COUNTER_COUNT, Counter, DEFAULT_RING_BYTES, FAST_SLOTS, PENDING_ENTRIES, PendingCall,
};

/// Every record for userspace. Its size is set again at load time (`RING_BYTES`).
#[map(name = "EVENTS")]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(DEFAULT_RING_BYTES, 0);

/// Per thread, at `tid % FAST_SLOTS`: the syscall (or clone) in flight, its arguments and the
/// thread's comm. The fast path: the verifier inlines array lookups (see `slots.rs`).
#[map(name = "FAST_SLOTS")]
pub static FAST: Array<PendingCall> = Array::with_max_entries(FAST_SLOTS, 0);

/// Fast-slot index -> owning tid. Inserting with `BPF_NOEXIST` is what makes a claim atomic.
#[map(name = "SLOT_CLAIMS")]
pub static CLAIMS: HashMap<u32, u32> = HashMap::with_max_entries(FAST_SLOTS, 0);

/// Per thread, for threads whose fast slot another live thread owns. Entries are overwritten
/// in place and deleted when the thread exits.
#[map(name = "PENDING")]
pub static PENDING: HashMap<u32, PendingCall> = HashMap::with_max_entries(PENDING_ENTRIES, 0);

/// Per CPU: counters indexed by [`Counter`], summed by userspace.
#[map(name = "COUNTERS")]
pub static COUNTERS: PerCpuArray<u64> = PerCpuArray::with_max_entries(COUNTER_COUNT, 0);

/// The agent's own tgid, set at load time: its own calls are not reported.
#[unsafe(no_mangle)]
static AGENT_TGID: u32 = 0;

/// The ring buffer's size in bytes, set at load time with the map's size.
#[unsafe(no_mangle)]
static RING_BYTES: u32 = DEFAULT_RING_BYTES;

/// Mask from tid to fast slot, set at load time.
#[unsafe(no_mangle)]
static FAST_MASK: u32 = FAST_SLOTS - 1;

#[inline(always)]
pub fn fast_mask() -> u32 {
    // SAFETY: as for `agent_tgid`.
    unsafe { core::ptr::read_volatile(&FAST_MASK) }
}

#[inline(always)]
pub fn agent_tgid() -> u32 {
    // SAFETY: a plain read of a global the loader may have rewritten; volatile so the
    // compiler does not fold the initial value in.
    unsafe { core::ptr::read_volatile(&AGENT_TGID) }
}

#[inline(always)]
pub fn ring_bytes() -> u64 {
    // SAFETY: as for `agent_tgid`.
    u64::from(unsafe { core::ptr::read_volatile(&RING_BYTES) })
}

#[inline(always)]
pub fn count(counter: Counter) {
    if let Some(slot) = COUNTERS.get_ptr_mut(counter as u32) {
        // SAFETY: a per-CPU slot, only this CPU writes it and programs do not nest here.
        unsafe { *slot += 1 };
    }
}
