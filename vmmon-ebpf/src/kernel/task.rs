//! [`Task`]: a `struct task_struct *`.

use super::{Cred, Mm, Regs, Signal, read_field, read_pointer};
use crate::layout;
use aya_ebpf::bindings::pt_regs;
use aya_ebpf::helpers::generated::{bpf_get_current_task_btf, bpf_task_pt_regs};
use core::ptr::NonNull;
use vmmon_common::COMM_LEN;

/// A `struct task_struct *` the verifier knows by its BTF type, never null.
#[derive(Clone, Copy)]
pub struct Task(NonNull<u8>);

impl Task {
    /// The task running this program.
    #[inline(always)]
    pub fn current() -> Self {
        // SAFETY: no preconditions; the result is a trusted BTF pointer to the current task,
        // never null.
        Task(unsafe { NonNull::new_unchecked(bpf_get_current_task_btf().cast::<u8>()) })
    }

    /// A task a tracepoint or iterator handed over (a `struct task_struct *` argument).
    ///
    /// # Safety
    /// `ptr` must be a non-null `struct task_struct *` the verifier knows by its BTF type: an
    /// argument of a BTF-typed (`tp_btf`) tracepoint or of a task iterator, typed so.
    #[inline(always)]
    pub unsafe fn from_arg(ptr: *const u8) -> Self {
        // SAFETY: non-null, by the caller's contract.
        Task(unsafe { NonNull::new_unchecked(ptr.cast_mut()) })
    }

    /// Its process id (the kernel's tgid).
    #[inline(always)]
    pub fn tgid(self) -> u32 {
        // SAFETY: a task (the type's invariant); `task_struct.tgid` is a `pid_t`.
        unsafe { read_field::<i32>(self.0, layout!(task_tgid)) as u32 }
    }

    /// Its thread id (the kernel's pid).
    #[inline(always)]
    pub fn tid(self) -> u32 {
        // SAFETY: as for `tgid`; `task_struct.pid` is a `pid_t`.
        unsafe { read_field::<i32>(self.0, layout!(task_pid)) as u32 }
    }

    /// Its comm.
    #[inline(always)]
    pub fn comm(self) -> [u8; COMM_LEN] {
        // SAFETY: as for `tgid`; `task_struct.comm` is a `char[COMM_LEN]`.
        unsafe { read_field(self.0, layout!(task_comm)) }
    }

    /// When it started (`CLOCK_MONOTONIC` ns).
    #[inline(always)]
    pub fn start_ns(self) -> u64 {
        // SAFETY: as for `tgid`; `task_struct.start_time` is a `u64`.
        unsafe { read_field(self.0, layout!(task_start_time)) }
    }

    /// Its exit code (`task_struct.exit_code`), as `wait` reports it.
    #[inline(always)]
    pub fn exit_code(self) -> u32 {
        // SAFETY: as for `tgid`; `task_struct.exit_code` is an `int`.
        unsafe { read_field(self.0, layout!(task_exit_code)) }
    }

    /// Its user registers: a syscall's arguments stay there through the call. `None` when
    /// the helper finds none.
    #[inline(always)]
    pub fn regs(self) -> Option<Regs> {
        // SAFETY: the task is a BTF-typed task pointer, as the helper requires.
        let regs = unsafe { bpf_task_pt_regs(self.0.as_ptr().cast()) } as *mut pt_regs;
        // SAFETY: the helper's result is a BTF-typed `struct pt_regs *`.
        NonNull::new(regs).map(|regs| unsafe { Regs::from_btf(regs) })
    }

    /// Its address space: null for a kernel thread, or when the layout of address spaces is
    /// not known.
    #[inline(always)]
    pub fn mm(self) -> Mm {
        if layout!(mm_known) == 0 {
            return Mm::null();
        }
        // SAFETY: as for `tgid`; `task_struct.mm` is a `struct mm_struct *` (so BTF-typed, or
        // null), and the layout of address spaces is known.
        unsafe { Mm::from_btf(read_field(self.0, layout!(task_mm))) }
    }

    /// Its objective credentials (`task_struct.real_cred`): `None` when the layout of
    /// credentials is not known (or the pointer is null).
    #[inline(always)]
    pub fn real_cred(self) -> Option<Cred> {
        if layout!(creds_known) == 0 {
            return None;
        }
        // SAFETY: as for `tgid`; `task_struct.real_cred` is a `const struct cred *`.
        unsafe { read_pointer(self.0, layout!(task_real_cred)).map(|c| Cred::from_btf(c)) }
    }

    /// Its process's signal state (`task_struct.signal`): `None` when null. Only for the
    /// exit's figures: read it only when `LAYOUT.exit_known` is set.
    #[inline(always)]
    pub fn signal(self) -> Option<Signal> {
        // SAFETY: as for `tgid`; `task_struct.signal` is a `struct signal_struct *`.
        unsafe { read_pointer(self.0, layout!(task_signal)).map(|s| Signal::from_btf(s)) }
    }
}
