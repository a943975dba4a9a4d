//! Process lifetimes on BTF-typed raw tracepoints: new tasks with their `clone` flags and the
//! child's address space, execs with the new image's, exits with the released one's figures
//! and resident memory.

use crate::figures::{figures, resident};
use crate::kernel::{Binprm, Mm, Task};
use crate::layout;
use crate::maps::{add, agent_tgid, process, unmark};
use crate::record::{header, send};
use aya_ebpf::{helpers::bpf_probe_read_kernel_str_bytes, programs::BtfTracePointContext};
use vmmon_common::{
    EXIT_KNOWN, EXIT_OOM_VICTIM, EventKind, ExecRecord, ExitRecord, FIGURES_KNOWN, FILENAME_LEN,
    ForkRecord, IDS_DUMPABLE, IDS_KNOWN, OomRecord, Resident,
};

/// `task_newtask(struct task_struct *task, u64 clone_flags)`: fires in the parent once the
/// child is complete (its ids set, its address space copied or shared), past the point
/// where the fork could still fail.
pub fn vmmon_task_newtask(ctx: &BtfTracePointContext) -> i32 {
    let parent = Task::current();
    if parent.tgid() == agent_tgid() {
        return 0;
    }
    // SAFETY: the tracepoint's first argument is the new task, a BTF-typed
    // `struct task_struct *`, never null.
    let child = unsafe { Task::from_arg(ctx.arg(0)) };
    let clone_flags: u64 = ctx.arg(1);
    let child_tgid = child.tgid();
    let record = ForkRecord {
        header: header(EventKind::Fork, parent),
        child_tid: child.tid(),
        child_tgid,
        clone_flags,
        figures: figures(child.mm(), child_tgid),
    };
    send(&record, parent.tgid());
    0
}

/// `sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)`:
/// fires once the new image is in place; the task's tgid, tid and comm are the new ones (a
/// non-leader thread that exec'd has taken over the leader's pid).
pub fn vmmon_sched_process_exec(ctx: &BtfTracePointContext) -> i32 {
    // SAFETY: the tracepoint's first argument is the task, a BTF-typed
    // `struct task_struct *`, never null.
    let task = unsafe { Task::from_arg(ctx.arg(0)) };
    let tgid = task.tgid();
    if tgid == agent_tgid() {
        return 0;
    }
    let old_tid: i32 = ctx.arg(1);
    // SAFETY: the tracepoint's third argument is a BTF-typed `struct linux_binprm *`, never
    // null.
    let bprm = unsafe { Binprm::from_arg(ctx.arg(2)) };
    let mut record = ExecRecord {
        header: header(EventKind::Exec, task),
        old_tid: old_tid as u32,
        filename_len: 0,
        filename: [0; FILENAME_LEN],
        figures: figures(task.mm(), tgid),
    };
    // SAFETY: `filename` is a kernel string pointer; the helper reads it safely (a fault is
    // an error) and NUL-terminates.
    if let Ok(s) = unsafe { bpf_probe_read_kernel_str_bytes(bprm.filename(), &mut record.filename) }
    {
        record.filename_len = s.len().min(FILENAME_LEN - 1) as u32;
    }
    send(&record, tgid);
    0
}

/// `sched_process_exit(struct task_struct *p, bool group_dead)`: fires for every task
/// leaving, before its address space is released; `group_dead` for a process's last thread.
pub fn vmmon_sched_process_exit(ctx: &BtfTracePointContext) -> i32 {
    // SAFETY: the tracepoint's first argument is the task leaving, a BTF-typed
    // `struct task_struct *`, never null.
    let task = unsafe { Task::from_arg(ctx.arg(0)) };
    let (tgid, tid) = (task.tgid(), task.tid());
    // A thread that leaves inside a traced call (never seen) un-counts it here.
    if unmark(tid, None)
        && let Some(p) = process(tgid)
    {
        // SAFETY: a live array element's counter.
        unsafe { add(&raw mut (*p).calls, u64::MAX) };
    }
    if tgid == agent_tgid() {
        return 0;
    }
    let group_dead = (ctx.arg::<u64>(1) & 0xff) as u32;
    let mm = task.mm();
    let mut figures = figures(mm, tgid);
    let mut released = Resident::default();
    if group_dead != 0 {
        released = resident(mm);
    } else {
        // A thread's exit releases nothing: its figures are not a footprint.
        figures.flags &= !FIGURES_KNOWN;
    }
    let (uids, gids, ids_flags) = ids(task, mm);
    let (code, known) = exit_code(task);
    let record = ExitRecord {
        header: header(EventKind::Exit, task),
        group_dead,
        exit_code: code,
        start_ns: task.start_ns(),
        figures,
        resident: released,
        uids,
        gids,
        ids_flags: ids_flags | known,
        _pad2: 0,
    };
    send(&record, tgid);
    0
}

/// `mark_victim(struct task_struct *task, uid_t uid)`: the OOM killer chose `task`'s process
/// and is about to kill it (its memory cgroup's or the machine's memory ran out). Fires in
/// whichever task ran out of memory, so the record's header is the victim's.
pub fn vmmon_mark_victim(ctx: &BtfTracePointContext) -> i32 {
    // SAFETY: the tracepoint's first argument is the victim, a BTF-typed
    // `struct task_struct *`, never null.
    let task = unsafe { Task::from_arg(ctx.arg(0)) };
    let tgid = task.tgid();
    if tgid == agent_tgid() {
        return 0;
    }
    let mm = task.mm();
    let record = OomRecord {
        header: header(EventKind::OomKill, task),
        figures: figures(mm, tgid),
        resident: resident(mm),
    };
    send(&record, tgid);
    0
}

/// Who the task is (its objective credentials) and whether `mm` (which may be null) is
/// dumpable: `(uids, gids, ids_flags)` as [`ExitRecord`] carries them.
#[inline(always)]
fn ids(task: Task, mm: Mm) -> ([u32; 3], [u32; 3], u32) {
    let Some(cred) = task.real_cred() else {
        return ([0; 3], [0; 3], 0);
    };
    let (uids, gids) = (cred.uids(), cred.gids());
    let mut flags = IDS_KNOWN;
    // SUID_DUMP_USER (1) in the low two bits: the owner may read it.
    // SAFETY: not null (checked first).
    if !mm.is_null() && unsafe { mm.flags() } & 3 == 1 {
        flags |= IDS_DUMPABLE;
    }
    (uids, gids, flags)
}

/// `SIGNAL_GROUP_EXIT` in `signal_struct.flags`: the whole process was told to exit, with
/// the group's exit code.
const SIGNAL_GROUP_EXIT: u32 = 4;

/// How `task`, leaving, ended as `wait` reports it (see [`ExitRecord`]), and its flags:
/// [`EXIT_KNOWN`] when it could be read, [`EXIT_OOM_VICTIM`] when the OOM killer had chosen
/// its process.
#[inline(always)]
fn exit_code(task: Task) -> (u32, u32) {
    if layout!(exit_known) == 0 {
        return (0, 0);
    }
    let Some(signal) = task.signal() else {
        return (task.exit_code(), EXIT_KNOWN);
    };
    let mut flags = EXIT_KNOWN;
    if signal.oom_victim() {
        flags |= EXIT_OOM_VICTIM;
    }
    if signal.flags() & SIGNAL_GROUP_EXIT != 0 {
        return (signal.group_exit_code(), flags);
    }
    (task.exit_code(), flags)
}
