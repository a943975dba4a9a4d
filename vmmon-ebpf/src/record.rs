//! Filling the common header and submitting records with the wakeup policy.

use crate::maps::{EVENTS, ring_bytes};
use aya_ebpf::{
    bindings::{BPF_RB_AVAIL_DATA, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP},
    helpers::{bpf_get_current_comm, bpf_ktime_get_ns},
};
use vmmon_common::{EventKind, Header};

/// The header of an event in the current task.
#[inline(always)]
pub fn header(kind: EventKind, pid_tgid: u64) -> Header {
    Header {
        kind: kind as u32,
        tgid: (pid_tgid >> 32) as u32,
        tid: pid_tgid as u32,
        _pad: 0,
        // SAFETY: no preconditions.
        ts_ns: unsafe { bpf_ktime_get_ns() },
        comm: bpf_get_current_comm().unwrap_or_default(),
    }
}

/// Flags for `submit`. Waking the consumer on every record costs more than the tracing itself
/// (an irq_work per event), so records are submitted silently and the agent polls the ring on a
/// timer; only when the ring is a quarter full is the consumer woken early, so a burst cannot
/// outrun the poll interval.
#[inline(always)]
pub fn submit_flags() -> u64 {
    if EVENTS.query(BPF_RB_AVAIL_DATA.into()) >= ring_bytes() / 4 {
        BPF_RB_FORCE_WAKEUP.into()
    } else {
        BPF_RB_NO_WAKEUP.into()
    }
}
