//! [`Binprm`]: a `struct linux_binprm *`.

use super::read_field;
use crate::layout;
use core::ptr::NonNull;

/// What an exec loads: a `struct linux_binprm *` the verifier knows by its BTF type, never
/// null.
#[derive(Clone, Copy)]
pub struct Binprm(NonNull<u8>);

impl Binprm {
    /// The exec's argument of `sched_process_exec`.
    ///
    /// # Safety
    /// `ptr` must be a non-null `struct linux_binprm *` the verifier knows by its BTF type (a
    /// BTF-typed tracepoint's argument, typed so).
    #[inline(always)]
    pub unsafe fn from_arg(ptr: *const u8) -> Self {
        // SAFETY: non-null, by the caller's contract.
        Binprm(unsafe { NonNull::new_unchecked(ptr.cast_mut()) })
    }

    /// `filename`: the kernel string of the file exec'd, to read with a string helper.
    #[inline(always)]
    pub fn filename(self) -> *const u8 {
        // SAFETY: an exec's binprm (the type's invariant); `linux_binprm.filename` is a
        // `const char *`.
        unsafe { read_field(self.0, layout!(bprm_filename)) }
    }
}
