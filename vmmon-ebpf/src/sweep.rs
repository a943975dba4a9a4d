//! The sweep: a task iterator that writes every process's figures and resident memory, read
//! from its `mm` without taking its mmap lock. The agent reads it every second or so to catch
//! what no event reveals (a stack that grows, a change by an untraced call).

use crate::maps::agent_tgid;
use crate::task::{Task, figures, resident};
use aya_ebpf::helpers::{bpf_ktime_get_ns, generated::bpf_seq_write};
use core::ffi::c_void;
use vmmon_common::SweepRecord;

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
    let task = Task::from_arg(task);
    let (tgid, tid) = (task.tgid(), task.tid());
    // One record per process: its leader's.
    if tid != tgid || tgid == agent_tgid() {
        return 0;
    }
    let mm = task.mm();
    if mm.is_null() {
        return 0;
    }
    let record = SweepRecord {
        tgid,
        _pad: 0,
        // SAFETY: no preconditions.
        ts_ns: unsafe { bpf_ktime_get_ns() },
        start_ns: task.start_ns(),
        figures: figures(mm, tgid),
        resident: resident(mm),
    };
    // SAFETY: `meta->seq` is the iterator's output; the record is on the stack and lives
    // through the call.
    unsafe {
        let seq = *(meta as *const *mut c_void);
        bpf_seq_write(
            seq as *mut _,
            (&raw const record).cast(),
            core::mem::size_of::<SweepRecord>() as u32,
        );
    }
    0
}
