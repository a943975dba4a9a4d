//! Address-space syscalls, on their own `syscalls:sys_enter_*` and `sys_exit_*` tracepoints:
//! a program runs only for the syscall it is attached to, so the calls vmmon does not trace
//! run none.
//!
//! The exit reads the arguments from the task's registers (x86_64 keeps them in `pt_regs`
//! through the call) and reports one record with the result and the address space's
//! figures.
//!
//! The enter only counts: it marks the thread (with the tick the call began at) and counts the
//! call in flight for its process. The exit un-counts after its record is in the ring. So a
//! record whose figures were read while its own call was the process's only one in flight,
//! with no call entering meanwhile, shows every change whose record came before it and none
//! whose record comes after: the agent can hold its ledger to those figures (see `Figures`).

use crate::figures::figures;
use crate::kernel::Task;
use crate::maps::{add, agent_tgid, count, mark, process, unmark};
use crate::record::{header, send};
use crate::sites;
use aya_ebpf::{
    EbpfContext,
    helpers::{bpf_get_current_pid_tgid, generated::bpf_jiffies64},
    programs::TracePointContext,
};
use vmmon_common::linux::{PR_SET_MM, PR_SET_VMA, madvise_changes_flags};
use vmmon_common::{
    CALL_ENTERED, CALL_UNMARKED, Counter, EventKind, FIGURES_OWN_CALL, SiteRecord, SyscallRecord,
};

/// Where a `sys_enter_*` record keeps the syscall's number and its arguments, and a
/// `sys_exit_*` record its number and result (the tracepoints' `format` files):
///
/// ```text
/// field:int __syscall_nr;  offset:8;   size:4;  signed:1;
/// field:unsigned long addr;  offset:16;  size:8;  signed:0;   (sys_enter_*: six at most)
/// field:long ret;  offset:16;  size:8;  signed:1;             (sys_exit_*)
/// ```
const NR_OFFSET: usize = 8;
const ARGS_OFFSET: usize = 16;
const RET_OFFSET: usize = 16;

/// Reads a `T` at `offset` of a tracepoint's record.
///
/// # Safety
/// `offset` must be within the record of the tracepoint the program is attached to; the
/// verifier checks the load against the context's size.
#[inline(always)]
unsafe fn at<T: Copy>(ctx: &TracePointContext, offset: usize) -> T {
    // SAFETY: see above; a direct context load, no helper call.
    unsafe { core::ptr::read(ctx.as_ptr().cast::<u8>().add(offset).cast::<T>()) }
}

/// Whether a call of `kind` with these arguments is one vmmon reports: madvise only when
/// it changes a mapping's flags, prctl only on mappings.
#[inline(always)]
fn wanted(kind: EventKind, first: u64, third: u64) -> bool {
    match kind {
        EventKind::Madvise => madvise_changes_flags(third),
        EventKind::Prctl => first == PR_SET_VMA || first == PR_SET_MM,
        _ => true,
    }
}

/// `sys_enter_*` of a traced call: marks the thread and counts the call in flight.
pub fn syscall_enter(ctx: &TracePointContext, kind: EventKind) -> u32 {
    // SAFETY: within every `sys_enter_*` record (see the offsets above); a syscall with
    // fewer than three arguments reads the slot after them, which is in its record too
    // only for `madvise` and `prctl`, the two whose arguments are looked at.
    let (first, third) = unsafe {
        match kind {
            EventKind::Madvise | EventKind::Prctl => (
                at::<u64>(ctx, ARGS_OFFSET),
                at::<u64>(ctx, ARGS_OFFSET + 16),
            ),
            _ => (0, 0),
        }
    };
    if !wanted(kind, first, third) {
        return 0;
    }
    let pid_tgid = bpf_get_current_pid_tgid();
    let (tgid, tid) = ((pid_tgid >> 32) as u32, pid_tgid as u32);
    if tgid == agent_tgid() {
        return 0;
    }
    // SAFETY: within every `sys_enter_*` record.
    let nr: i32 = unsafe { at(ctx, NR_OFFSET) };
    // Jiffies (a read of a word, where the clock reads the TSC, and the coarse clock is not
    // for tracing programs) tell well enough how long a call has been in flight.
    // SAFETY: no preconditions.
    let since = unsafe { bpf_jiffies64() };
    let marked = mark(tid, nr as u32, since);
    if let Some(p) = process(tgid) {
        // SAFETY: a live array element's counters.
        unsafe {
            if marked {
                add(&raw mut (*p).calls, CALL_ENTERED);
            } else {
                // A call in flight that no exit will un-count: its process's figures cannot
                // be trusted until it is read again, as after a lost record.
                add(&raw mut (*p).calls, CALL_UNMARKED);
                count(Counter::MarksFull);
                add(&raw mut (*p).lost, 1);
            }
        }
    }
    0
}

/// `sys_exit_*` of a traced call: one record with the arguments, the result and the
/// figures, then the call un-counted.
pub fn syscall_exit(ctx: &TracePointContext, kind: EventKind) -> u32 {
    let task = Task::current();
    let Some(regs) = task.regs() else {
        return 0;
    };
    let args = regs.syscall_args();
    if !wanted(kind, args[0], args[2]) {
        return 0;
    }
    let (tgid, tid) = (task.tgid(), task.tid());
    if tgid == agent_tgid() {
        return 0;
    }
    // SAFETY: within every `sys_exit_*` record.
    let (nr, ret): (i32, i64) = unsafe { (at(ctx, NR_OFFSET), at(ctx, RET_OFFSET)) };
    // Whether this call was counted at its enter (and so must be un-counted).
    let marked = unmark(tid, Some(nr as u32));
    if !marked {
        count(Counter::Unmarked);
    }
    let mut figures = figures(task.mm(), tgid);
    if marked {
        figures.flags |= FIGURES_OWN_CALL;
    }
    let site = if sites::wanted(kind, &args, ret) {
        sites::capture(regs)
    } else {
        SiteRecord::default()
    };
    let record = SyscallRecord {
        header: header(kind, task),
        args,
        ret,
        figures,
        site,
    };
    send(&record, tgid);
    if marked && let Some(p) = process(tgid) {
        // After the record is in the ring: see the module's comment.
        // SAFETY: a live array element's counter.
        unsafe { add(&raw mut (*p).calls, u64::MAX) };
    }
    0
}
