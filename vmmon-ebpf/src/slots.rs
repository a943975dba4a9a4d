//! Per-thread slots that carry a call's arguments (and the thread's comm) from its enter
//! tracepoint to its exit tracepoint.
//!
//! Helper calls dominate the cost of these programs, and a hash lookup is a call while an
//! array lookup is inlined by the verifier. So each thread first tries the array slot at
//! `tid % FAST_SLOTS`. A slot has one owner at a time, and only the owner writes it. A free
//! slot is claimed by inserting into `SLOT_CLAIMS` with `BPF_NOEXIST`, which is atomic; the
//! claim is released when the owner exits. A thread whose slot another live thread owns uses
//! the per-thread hash map instead. A slot is marked free (`kind = 0`) when its call
//! completes, so a stale call is never taken for a later one.

use crate::maps::{CLAIMS, FAST, PENDING, count, fast_mask};
use aya_ebpf::{bindings::BPF_NOEXIST, helpers::bpf_get_current_comm, programs::TracePointContext};
use aya_log_ebpf::warn;
use vmmon_common::{COMM_LEN, Counter, EventKind, FAST_SLOTS, PendingCall};

#[inline(always)]
fn slot_index(tid: u32) -> u32 {
    tid & fast_mask() & (FAST_SLOTS - 1)
}

#[inline(always)]
fn fast_slot(tid: u32) -> Option<*mut PendingCall> {
    FAST.get_ptr_mut(slot_index(tid))
}

/// Keeps `kind` and `args` for thread `tid` (the current thread) until its exit tracepoint.
#[inline(always)]
pub fn keep(ctx: &TracePointContext, tid: u32, kind: EventKind, args: [u64; 6]) {
    if let Some(slot) = fast_slot(tid) {
        // SAFETY: a live array element; only its owner writes it, and we are the owner or
        // become it by the atomic claim below.
        unsafe {
            if (*slot).owner == tid {
                (*slot).args = args;
                (*slot).kind = kind as u32;
                return;
            }
            if (*slot).owner == 0
                && CLAIMS
                    .insert(slot_index(tid), tid, BPF_NOEXIST.into())
                    .is_ok()
            {
                (*slot).comm = bpf_get_current_comm().unwrap_or_default();
                (*slot).args = args;
                (*slot).kind = kind as u32;
                (*slot).owner = tid;
                return;
            }
        }
    }
    keep_in_hash(ctx, tid, kind, args);
}

#[inline(always)]
fn keep_in_hash(ctx: &TracePointContext, tid: u32, kind: EventKind, args: [u64; 6]) {
    count(Counter::SharedSlot);
    if let Some(slot) = PENDING.get_ptr_mut(tid) {
        // SAFETY: only this thread reads or writes its own entry, and only it deletes it (at
        // its exit), so the element cannot be freed or reused under us.
        unsafe {
            (*slot).args = args;
            (*slot).kind = kind as u32;
        }
        return;
    }
    let call = PendingCall {
        kind: kind as u32,
        owner: tid,
        args,
        comm: bpf_get_current_comm().unwrap_or_default(),
    };
    if PENDING.insert(tid, call, 0).is_err() {
        count(Counter::PendingFull);
        warn!(
            ctx,
            "vmmon: pending-call map full, an event of tid {} is lost", tid
        );
    }
}

/// Takes the call of thread `tid` (the current thread) if it is of `kind`, marking the slot
/// free, and returns the slot to read the arguments and comm from. Only this thread writes
/// the slot until its next `keep`, so the pointer stays good for the rest of this program.
#[inline(always)]
pub fn take(tid: u32, kind: EventKind) -> Option<*const PendingCall> {
    let slot = match fast_slot(tid) {
        // SAFETY: reading the owner of a live array element.
        Some(slot) if unsafe { core::ptr::read_volatile(&(*slot).owner) } == tid => slot,
        _ => PENDING.get_ptr_mut(tid)?,
    };
    // SAFETY: our own slot (see `keep`). Volatile so that the compiler keeps these reads where
    // they are: LLVM's BPF backend has been seen to reuse a register across a helper call here.
    unsafe {
        if core::ptr::read_volatile(&(*slot).kind) != kind as u32 {
            return None;
        }
        core::ptr::write_volatile(&mut (*slot).kind, 0);
    }
    Some(slot)
}

/// Thread `tid` is gone (it exited, or exec gave it another tid): free its slots.
#[inline(always)]
pub fn release(tid: u32) {
    if let Some(slot) = fast_slot(tid) {
        // SAFETY: the owner releasing its own slot; the claim goes last, so nobody can claim
        // the slot before it is cleared.
        unsafe {
            if (*slot).owner == tid {
                (*slot).kind = 0;
                (*slot).owner = 0;
                let _ = CLAIMS.remove(slot_index(tid));
            }
        }
    }
    let _ = PENDING.remove(tid);
}

/// Thread `tid` has a new comm.
#[inline(always)]
pub fn rename(tid: u32, comm: [u8; COMM_LEN]) {
    if let Some(slot) = fast_slot(tid) {
        // SAFETY: a live array element; a racing reader sees the old or the new comm.
        unsafe {
            if (*slot).owner == tid {
                (*slot).comm = comm;
            }
        }
    }
    if let Some(slot) = PENDING.get_ptr_mut(tid) {
        // SAFETY: as above, for the hash entry.
        unsafe { (*slot).comm = comm };
    }
}
