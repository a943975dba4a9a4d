//! Filling the common header and submitting records with the wakeup policy.

use crate::kernel::Task;
use crate::maps::{COUNTERS, EVENTS, add, count, process, ring_bytes};
use aya_ebpf::{
    bindings::{BPF_RB_AVAIL_DATA, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP},
    helpers::bpf_ktime_get_ns,
};
use vmmon_common::{Counter, EventKind, FILL_CHECK_EVERY, Header};

/// The header of an event of kind `kind` in `task`.
#[inline(always)]
pub fn header(kind: EventKind, task: Task) -> Header {
    Header {
        kind: kind as u32,
        tgid: task.tgid(),
        tid: task.tid(),
        _pad: 0,
        // SAFETY: no preconditions.
        ts_ns: unsafe { bpf_ktime_get_ns() },
        comm: task.comm(),
    }
}

/// Flags for submitting a record, counting it as offered (call once per record, before
/// writing it, whether or not the write then succeeds). Waking the consumer on every record
/// costs more than the tracing itself (an irq_work per event), so records are submitted
/// silently and the agent drains the ring on a timer. So that a burst cannot outrun the timer,
/// every [`FILL_CHECK_EVERY`]th record on a CPU looks at how full the ring is, and wakes the
/// agent when it is a quarter full. (Helper calls are dear here, so the check is not made
/// per record; the per-CPU counter's lookup is inlined by the verifier.)
#[inline(always)]
pub fn submit_flags() -> u64 {
    let Some(offered) = COUNTERS.get_ptr_mut(Counter::Offered as u32) else {
        return BPF_RB_NO_WAKEUP.into();
    };
    // SAFETY: this CPU's slot; programs do not nest on one CPU here.
    let n = unsafe {
        *offered += 1;
        *offered
    };
    if n & (FILL_CHECK_EVERY - 1) == 0 && EVENTS.query(BPF_RB_AVAIL_DATA.into()) >= ring_bytes() / 4
    {
        BPF_RB_FORCE_WAKEUP.into()
    } else {
        BPF_RB_NO_WAKEUP.into()
    }
}

/// Sends `record` of process `tgid`; a record that does not fit is counted, for the machine
/// and for the process (whose ledger then knows it missed something).
#[inline(always)]
pub fn send<T: 'static>(record: &T, tgid: u32) {
    let flags = submit_flags();
    if EVENTS.output::<T>(record, flags).is_err() {
        count(Counter::RingFull);
        if let Some(p) = process(tgid) {
            // SAFETY: a live array element's counter.
            unsafe { add(&raw mut (*p).lost, 1) };
        }
    }
}
