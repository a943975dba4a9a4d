//! [`Signal`]: a `struct signal_struct *`.

use super::read_field;
use crate::layout;
use core::ptr::NonNull;

/// A process's signal state: a `struct signal_struct *` the verifier knows by its BTF type,
/// never null. Made only by [`super::Task::signal`]; its accessors read offsets resolved only
/// when `LAYOUT.exit_known` is set (read them only then).
#[derive(Clone, Copy)]
pub struct Signal(NonNull<u8>);

impl Signal {
    /// # Safety
    /// `ptr` must be a `struct signal_struct *` the verifier knows by its BTF type.
    #[inline(always)]
    pub(super) unsafe fn from_btf(ptr: NonNull<u8>) -> Self {
        Signal(ptr)
    }

    /// `flags` (`SIGNAL_GROUP_EXIT`, ...).
    #[inline(always)]
    pub fn flags(self) -> u32 {
        // SAFETY: a signal state (the type's invariant); `signal_struct.flags` is an
        // `unsigned int`.
        unsafe { read_field(self.0, layout!(signal_flags)) }
    }

    /// `group_exit_code`: the whole process's exit code once it was told to exit.
    #[inline(always)]
    pub fn group_exit_code(self) -> u32 {
        // SAFETY: as for `flags`; an `int`.
        unsafe { read_field(self.0, layout!(signal_group_exit_code)) }
    }

    /// Whether `oom_mm` is set: the OOM killer chose the process.
    #[inline(always)]
    pub fn oom_victim(self) -> bool {
        // SAFETY: as for `flags`; a pointer, read as a number.
        unsafe { read_field::<u64>(self.0, layout!(signal_oom_mm)) != 0 }
    }
}
