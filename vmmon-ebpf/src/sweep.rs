//! The sweep: a task iterator that writes every process's figures and resident memory, read
//! from its `mm` without taking its mmap lock. The agent reads it every second or so to catch
//! what no event reveals (a stack that grows, a change by an untraced call).

use crate::figures::{figures, resident};
use crate::kernel::Task;
use crate::maps::{agent_tgid, in_call};
use aya_ebpf::helpers::{
    bpf_ktime_get_ns,
    generated::{bpf_jiffies64, bpf_seq_write},
};
use core::ffi::c_void;
use vmmon_common::{SWEPT_PROCESS, SWEPT_THREAD, SweepRecord, SweepThread};

/// `iter/task`: called once per task with `struct bpf_iter__task { struct bpf_iter_meta
/// *meta; struct task_struct *task; }`, and once more with a null task at the end.
pub fn vmmon_sweep(ctx: *mut c_void) -> i32 {
    // SAFETY: the iterator's context, as above; both pointers are BTF-typed and the verifier
    // checks the loads.
    let (meta, task) = unsafe {
        let fields = ctx as *const *const u8;
        (*fields, *fields.add(1))
    };
    if task.is_null() {
        return 0;
    }
    // SAFETY: the iterator's task, BTF-typed, and not null (checked above).
    let task = unsafe { Task::from_arg(task) };
    let (tgid, tid) = (task.tgid(), task.tid());
    if tgid == agent_tgid() {
        return 0;
    }
    // SAFETY: `meta->seq` is the iterator's output.
    let seq = unsafe { *(meta as *const *mut c_void) };
    // Any thread inside a traced call: when it began.
    if let Some((nr, since_jiffies)) = in_call(tid) {
        let thread = SweepThread {
            tgid,
            kind: SWEPT_THREAD,
            // SAFETY: no preconditions.
            ts_ns: unsafe { bpf_ktime_get_ns() },
            // SAFETY: no preconditions.
            now_jiffies: unsafe { bpf_jiffies64() },
            since_jiffies,
            tid,
            nr,
            _pad: [0; 8],
        };
        // SAFETY: the iterator's output.
        unsafe { write(seq, &thread) };
    }
    // One record per process: its leader's.
    if tid != tgid {
        return 0;
    }
    let mm = task.mm();
    if mm.is_null() {
        return 0;
    }
    let record = SweepRecord {
        tgid,
        kind: SWEPT_PROCESS,
        // SAFETY: no preconditions.
        ts_ns: unsafe { bpf_ktime_get_ns() },
        start_ns: task.start_ns(),
        figures: figures(mm, tgid),
        resident: resident(mm),
    };
    // SAFETY: the iterator's output.
    unsafe { write(seq, &record) };
    0
}

/// Writes `record` (on the stack) to the iterator's output `seq`.
///
/// # Safety
/// `seq` must be the iterator's output (`bpf_iter_meta.seq`, a `struct seq_file *`).
#[inline(always)]
unsafe fn write<T>(seq: *mut c_void, record: &T) {
    let data: *const T = record;
    // SAFETY: `seq` is the iterator's output (the caller's contract); the record lives
    // through the call.
    unsafe { bpf_seq_write(seq as *mut _, data as *mut _, size_of::<T>() as u32) };
}
