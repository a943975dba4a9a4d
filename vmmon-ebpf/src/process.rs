//! Process lifetimes: new tasks (with their `clone` flags), execs and exits.

use crate::maps::{EVENTS, agent_tgid, count};
use crate::record::{header, submit_flags};
use crate::slots::{keep, release, rename, take};
use crate::syscalls::read_u64;
use aya_ebpf::{
    EbpfContext,
    helpers::{bpf_get_current_pid_tgid, bpf_probe_read_kernel_str_bytes},
    programs::TracePointContext,
};
use vmmon_common::{
    COMM_LEN, Counter, EventKind, ExecRecord, ExitRecord, FILENAME_LEN, ForkRecord,
    linux::CLONE_THREAD,
};

#[inline(always)]
fn read_u32(ctx: &TracePointContext, offset: usize) -> u32 {
    // SAFETY: as in `read_u64`: a constant offset into the tracepoint's record.
    unsafe { core::ptr::read((ctx.as_ptr() as *const u8).add(offset) as *const u32) }
}

/// `sched_process_fork` does not say whether the child is a thread; `task_newtask`, which
/// fires just before it in the same (parent) task, carries the clone flags. They wait in the
/// parent thread's pending slot.
///
/// ```text
/// field:pid_t pid;            offset:8;  size:4;  signed:1;
/// field:char comm[16];        offset:12; size:16; signed:0;
/// field:u64 clone_flags;      offset:32; size:8;  signed:0;
/// field:short oom_score_adj;  offset:40; size:2;  signed:1;
/// ```
pub fn vmmon_task_newtask(ctx: &TracePointContext) -> u32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    if (pid_tgid >> 32) as u32 != agent_tgid() {
        let child = u64::from(read_u32(ctx, 8));
        let flags = read_u64(ctx, 32);
        keep(
            ctx,
            pid_tgid as u32,
            EventKind::Fork,
            [child, flags, 0, 0, 0, 0],
        );
    }
    0
}

/// A task's comm changed (exec, `prctl(PR_SET_NAME)`, a write to `/proc/.../comm`): refresh
/// the comm cached in its slot. The renamed task need not be the current one.
///
/// ```text
/// field:pid_t pid;            offset:8;  size:4;  signed:1;
/// field:char oldcomm[16];     offset:12; size:16; signed:0;
/// field:char newcomm[16];     offset:28; size:16; signed:0;
/// field:short oom_score_adj;  offset:44; size:2;  signed:1;
/// ```
pub fn vmmon_task_rename(ctx: &TracePointContext) -> u32 {
    let tid = read_u32(ctx, 8);
    let mut comm = [0u8; COMM_LEN];
    for (i, b) in comm.iter_mut().enumerate() {
        // SAFETY: constant offsets inside the record's `newcomm` field.
        *b = unsafe { core::ptr::read((ctx.as_ptr() as *const u8).add(28 + i)) };
    }
    rename(tid, comm);
    0
}

/// ```text
/// field:__data_loc char[] parent_comm; offset:8;  size:4; signed:0;
/// field:pid_t parent_pid;              offset:12; size:4; signed:1;
/// field:__data_loc char[] child_comm;  offset:16; size:4; signed:0;
/// field:pid_t child_pid;               offset:20; size:4; signed:1;
/// ```
pub fn vmmon_sched_process_fork(ctx: &TracePointContext) -> u32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    let tgid = (pid_tgid >> 32) as u32;
    if tgid == agent_tgid() {
        return 0;
    }
    let child_tid = read_u32(ctx, 20);
    let mut clone_flags = 0;
    let mut flags_known = 0;
    if let Some(slot) = take(pid_tgid as u32, EventKind::Fork) {
        // SAFETY: our own slot, as `take` returned it.
        let (child, flags) = unsafe {
            (
                core::ptr::read_volatile(&(*slot).args[0]),
                core::ptr::read_volatile(&(*slot).args[1]),
            )
        };
        if child == u64::from(child_tid) {
            clone_flags = flags;
            flags_known = 1;
        }
    }
    let child_tgid = if clone_flags & CLONE_THREAD != 0 {
        tgid
    } else {
        child_tid
    };
    let flags = submit_flags();
    let Some(mut entry) = EVENTS.reserve::<ForkRecord>(0) else {
        count(Counter::RingFull);
        return 0;
    };
    entry.write(ForkRecord {
        header: header(EventKind::Fork, pid_tgid),
        child_tid,
        child_tgid,
        clone_flags,
        flags_known,
        _pad: 0,
    });
    entry.submit(flags);
    0
}

/// Fires after the new image is in place: the current task's tgid, tid and comm are the new
/// ones (a non-leader thread that exec'd has taken over the leader's pid).
///
/// ```text
/// field:__data_loc char[] filename; offset:8;  size:4; signed:0;
/// field:pid_t pid;                  offset:12; size:4; signed:1;
/// field:pid_t old_pid;              offset:16; size:4; signed:1;
/// ```
pub fn vmmon_sched_process_exec(ctx: &TracePointContext) -> u32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    if (pid_tgid >> 32) as u32 == agent_tgid() {
        return 0;
    }
    let flags = submit_flags();
    let Some(mut entry) = EVENTS.reserve::<ExecRecord>(0) else {
        count(Counter::RingFull);
        return 0;
    };
    // A non-leader thread that exec'd now has the leader's tid; its old slots would never be
    // freed (no exit fires for that tid) and would hand its comm to a later thread given it.
    let old_tid = read_u32(ctx, 16);
    if old_tid != pid_tgid as u32 {
        release(old_tid);
    }
    let record = entry.as_mut_ptr();
    let data_loc = read_u32(ctx, 8);
    // SAFETY: `record` points at reserved ring-buffer memory of the right size; every field is
    // written before submit. The file name is read from the tracepoint record at its
    // `__data_loc` offset (low 16 bits).
    unsafe {
        (*record).header = header(EventKind::Exec, pid_tgid);
        (*record).old_tid = old_tid;
        let src = (ctx.as_ptr() as *const u8).add((data_loc & 0xffff) as usize);
        let dst = &mut (*record).filename;
        dst[0] = 0;
        let len = bpf_probe_read_kernel_str_bytes(src, dst).map_or(0, |s| s.len());
        (*record).filename_len = len.min(FILENAME_LEN - 1) as u32;
    }
    entry.submit(flags);
    0
}

/// Fires for every task leaving; `group_dead` is set for a process's last thread, when its
/// address space goes. The thread's slots are freed here.
///
/// ```text
/// field:char comm[16];  offset:8;  size:16; signed:0;
/// field:pid_t pid;      offset:24; size:4;  signed:1;
/// field:int prio;       offset:28; size:4;  signed:1;
/// field:bool group_dead; offset:32; size:1; signed:0;
/// ```
pub fn vmmon_sched_process_exit(ctx: &TracePointContext) -> u32 {
    let pid_tgid = bpf_get_current_pid_tgid();
    release(pid_tgid as u32);
    if (pid_tgid >> 32) as u32 == agent_tgid() {
        return 0;
    }
    // Exactly one byte: a program that reads past the end of the tracepoint's record (33
    // bytes here) is refused at attach time with EACCES.
    // SAFETY: as in `read_u32`.
    let group_dead = u32::from(unsafe { core::ptr::read((ctx.as_ptr() as *const u8).add(32)) });
    let flags = submit_flags();
    let Some(mut entry) = EVENTS.reserve::<ExitRecord>(0) else {
        count(Counter::RingFull);
        return 0;
    };
    entry.write(ExitRecord {
        header: header(EventKind::Exit, pid_tgid),
        group_dead,
        _pad: 0,
    });
    entry.submit(flags);
    0
}
