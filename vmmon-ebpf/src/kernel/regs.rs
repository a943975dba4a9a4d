//! [`Regs`]: a `struct pt_regs *`.

use aya_ebpf::bindings::pt_regs;
use core::ptr::NonNull;

/// A task's user registers: a `struct pt_regs *` the verifier knows by its BTF type, never
/// null. Made only by [`super::Task::regs`].
#[derive(Clone, Copy)]
pub struct Regs(NonNull<pt_regs>);

impl Regs {
    /// # Safety
    /// `ptr` must be a `struct pt_regs *` the verifier knows by its BTF type (as
    /// `bpf_task_pt_regs` returns it).
    #[inline(always)]
    pub(super) unsafe fn from_btf(ptr: NonNull<pt_regs>) -> Self {
        Regs(ptr)
    }

    /// A syscall's six arguments, in the x86_64 syscall convention's registers (which keep
    /// them through the call).
    #[inline(always)]
    pub fn syscall_args(self) -> [u64; 6] {
        let regs = self.0.as_ptr();
        // SAFETY: registers (the type's invariant); the verifier checks the loads.
        unsafe {
            [
                (*regs).rdi,
                (*regs).rsi,
                (*regs).rdx,
                (*regs).r10,
                (*regs).r8,
                (*regs).r9,
            ]
        }
    }

    /// The user stack pointer and frame pointer: `(rsp, rbp)`.
    #[inline(always)]
    pub fn stack(self) -> (u64, u64) {
        let regs = self.0.as_ptr();
        // SAFETY: as for `syscall_args`.
        unsafe { ((*regs).rsp, (*regs).rbp) }
    }
}
