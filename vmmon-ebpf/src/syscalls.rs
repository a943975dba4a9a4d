//! Address-space syscalls: the enter tracepoint keeps the arguments in the thread's slot
//! (`slots.rs`), the exit tracepoint completes them with the return value into one record.
//!
//! Every `syscalls:sys_enter_*` format starts the same way, and every argument is a
//! `unsigned long`-sized slot, e.g. `/sys/kernel/tracing/events/syscalls/sys_enter_mmap/format`:
//!
//! ```text
//! field:int __syscall_nr;     offset:8;  size:4; signed:1;
//! field:unsigned long addr;   offset:16; size:8; signed:0;
//! field:unsigned long len;    offset:24; size:8; signed:0;
//! field:unsigned long prot;   offset:32; size:8; signed:0;
//! field:unsigned long flags;  offset:40; size:8; signed:0;
//! field:unsigned long fd;     offset:48; size:8; signed:0;
//! field:unsigned long off;    offset:56; size:8; signed:0;
//! ```
//!
//! and every `sys_exit_*` format carries the result at offset 16:
//!
//! ```text
//! field:int __syscall_nr;     offset:8;  size:4; signed:1;
//! field:long ret;             offset:16; size:8; signed:1;
//! ```

use crate::maps::{EVENTS, agent_tgid, count};
use crate::record::{header_with_comm, submit_flags};
use crate::slots::{keep, take};
use aya_ebpf::{EbpfContext, helpers::bpf_get_current_pid_tgid, programs::TracePointContext};
use vmmon_common::{Counter, EventKind, SyscallRecord};

const ARGS_OFFSET: usize = 16;
const RET_OFFSET: usize = 16;

#[inline(always)]
pub fn read_u64(ctx: &TracePointContext, offset: usize) -> u64 {
    // SAFETY: tracepoint programs may read their context directly at constant offsets inside
    // the record; the verifier checks the bounds.
    unsafe { core::ptr::read((ctx.as_ptr() as *const u8).add(offset) as *const u64) }
}

/// Keeps the first `N` arguments of the call in the thread's pending slot.
#[inline(always)]
fn enter<const N: usize>(ctx: &TracePointContext, kind: EventKind) {
    let pid_tgid = bpf_get_current_pid_tgid();
    if (pid_tgid >> 32) as u32 == agent_tgid() {
        return;
    }
    let tid = pid_tgid as u32;
    let mut args = [0u64; 6];
    for (i, arg) in args.iter_mut().enumerate().take(N) {
        *arg = read_u64(ctx, ARGS_OFFSET + 8 * i);
    }
    keep(ctx, tid, kind, args);
}

#[inline(always)]
fn exit(ctx: &TracePointContext, kind: EventKind) {
    let pid_tgid = bpf_get_current_pid_tgid();
    let Some(slot) = take(pid_tgid as u32, kind) else {
        if (pid_tgid >> 32) as u32 != agent_tgid() {
            count(Counter::ExitWithoutEnter);
        }
        return;
    };
    // SAFETY: our own slot, as `take` returned it.
    let (comm, args) = unsafe { ((*slot).comm, (*slot).args) };
    let record = SyscallRecord {
        header: header_with_comm(kind, pid_tgid, comm),
        args,
        ret: read_u64(ctx, RET_OFFSET) as i64,
    };
    if EVENTS
        .output::<SyscallRecord>(&record, submit_flags())
        .is_err()
    {
        count(Counter::RingFull);
    }
}

/// The handlers of one syscall's enter and exit programs (named as in `for_each_program!`).
macro_rules! syscall_pair {
    ($enter:ident, $exit:ident, $kind:expr, $nargs:literal) => {
        pub fn $enter(ctx: &TracePointContext) -> u32 {
            enter::<$nargs>(ctx, $kind);
            0
        }

        pub fn $exit(ctx: &TracePointContext) -> u32 {
            exit(ctx, $kind);
            0
        }
    };
}

syscall_pair!(vmmon_enter_mmap, vmmon_exit_mmap, EventKind::Mmap, 6);
syscall_pair!(vmmon_enter_munmap, vmmon_exit_munmap, EventKind::Munmap, 2);
syscall_pair!(vmmon_enter_mremap, vmmon_exit_mremap, EventKind::Mremap, 5);
syscall_pair!(
    vmmon_enter_mprotect,
    vmmon_exit_mprotect,
    EventKind::Mprotect,
    3
);
syscall_pair!(
    vmmon_enter_pkey_mprotect,
    vmmon_exit_pkey_mprotect,
    EventKind::PkeyMprotect,
    4
);
syscall_pair!(vmmon_enter_brk, vmmon_exit_brk, EventKind::Brk, 1);
