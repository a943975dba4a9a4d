//! Address-space syscalls, on the raw `sys_enter` and `sys_exit` tracepoints (BTF-typed):
//! `sys_enter(struct pt_regs *regs, long id)` and `sys_exit(struct pt_regs *regs, long ret)`.
//! Both fire for every syscall on the machine; anything but a traced call returns at once.
//!
//! The exit reads the arguments from the registers (x86_64 keeps them in `pt_regs` through
//! the call) and reports one record with the result and the address space's figures.
//!
//! The enter only counts: it marks the thread and counts the call in flight for its process.
//! The exit un-counts after its record is in the ring. So a record whose figures were read
//! while its own call was the process's only one in flight, with no call entering meanwhile,
//! shows every change whose record came before it and none whose record comes after: the
//! agent can hold its ledger to those figures (see `Figures`).

use crate::maps::{add, agent_tgid, count, mark, process, unmark};
use crate::record::{header, send};
use crate::sites;
use crate::task::{Task, figures};
use aya_ebpf::{
    bindings::pt_regs, helpers::bpf_get_current_pid_tgid, programs::BtfTracePointContext,
};
use vmmon_common::linux::{PR_SET_MM, PR_SET_VMA, madvise_changes_flags};
use vmmon_common::{Counter, EventKind, FIGURES_OWN_CALL, SiteRecord, SyscallRecord};

/// The traced call `nr` is, given its registers: some calls count only with some arguments
/// (madvise that changes a mapping's flags, prctl on mappings).
#[inline(always)]
fn traced(nr: u64, regs: *const pt_regs) -> Option<EventKind> {
    let kind = EventKind::of_syscall(nr)?;
    // SAFETY: `regs` is the tracepoint's BTF-typed `struct pt_regs *`; the verifier checks
    // the loads.
    let (first, third) = unsafe { ((*regs).rdi, (*regs).rdx) };
    match kind {
        EventKind::Madvise if !madvise_changes_flags(third) => None,
        EventKind::Prctl if first != PR_SET_VMA && first != PR_SET_MM => None,
        _ => Some(kind),
    }
}

pub fn vmmon_sys_enter(ctx: &BtfTracePointContext) -> i32 {
    let regs: *const pt_regs = ctx.arg(0);
    let id: i64 = ctx.arg(1);
    if traced(id as u64, regs).is_none() {
        return 0;
    }
    let pid_tgid = bpf_get_current_pid_tgid();
    let (tgid, tid) = ((pid_tgid >> 32) as u32, pid_tgid as u32);
    if tgid == agent_tgid() {
        return 0;
    }
    let marked = mark(tid, id as u32);
    if let Some(p) = process(tgid) {
        // SAFETY: a live array element.
        unsafe {
            add(&raw mut (*p).enters, 1);
            if marked {
                add(&raw mut (*p).inflight, 1);
            } else {
                // A call in flight that no exit will un-count: its process's figures cannot
                // be trusted until it is read again, as after a lost record.
                count(Counter::MarksFull);
                add(&raw mut (*p).lost, 1);
            }
        }
    }
    0
}

pub fn vmmon_sys_exit(ctx: &BtfTracePointContext) -> i32 {
    let regs: *const pt_regs = ctx.arg(0);
    let ret: i64 = ctx.arg(1);
    // SAFETY: as in `traced`.
    let nr = unsafe { (*regs).orig_rax };
    let Some(kind) = traced(nr, regs) else {
        return 0;
    };
    let task = Task::current();
    let (tgid, tid) = (task.tgid(), task.tid());
    if tgid == agent_tgid() {
        return 0;
    }
    // Whether this call was counted at its enter (and so must be un-counted).
    let marked = unmark(tid, Some(nr as u32));
    if !marked {
        count(Counter::Unmarked);
    }
    let mut figures = figures(task.mm(), tgid);
    if marked {
        figures.flags |= FIGURES_OWN_CALL;
    }
    // SAFETY: as in `traced`.
    let args = unsafe {
        [
            (*regs).rdi,
            (*regs).rsi,
            (*regs).rdx,
            (*regs).r10,
            (*regs).r8,
            (*regs).r9,
        ]
    };
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
        // SAFETY: a live array element.
        add(unsafe { &raw mut (*p).inflight }, u64::MAX);
    }
    0
}
