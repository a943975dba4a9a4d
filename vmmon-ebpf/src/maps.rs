//! The maps and load-time globals shared by every program.

use aya_ebpf::{
    macros::map,
    maps::{HashMap, PerCpuArray, RingBuf},
};
use vmmon_common::{COUNTER_COUNT, Counter, DEFAULT_RING_BYTES, PENDING_ENTRIES, PendingCall};

/// Every record for userspace. Its size is set again at load time (`RING_BYTES`).
#[map(name = "EVENTS")]
pub static EVENTS: RingBuf = RingBuf::with_byte_size(DEFAULT_RING_BYTES, 0);

/// Per thread: the syscall (or clone) in flight and its arguments. Slots are overwritten in
/// place rather than deleted per call, which keeps the hot path to one lookup; a thread's slot
/// is deleted when the thread exits.
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
