//! [`Cred`]: a `struct cred *`.

use super::read_field;
use crate::layout;
use core::ptr::NonNull;

/// A task's credentials: a `struct cred *` the verifier knows by its BTF type, never null.
/// Made only by [`super::Task::real_cred`], which reads it only when `LAYOUT.creds_known` is
/// set: the offsets its accessors read are then all resolved.
#[derive(Clone, Copy)]
pub struct Cred(NonNull<u8>);

impl Cred {
    /// # Safety
    /// `ptr` must be a `struct cred *` the verifier knows by its BTF type, and the `cred_*`
    /// offsets of `LAYOUT` resolved (`LAYOUT.creds_known` set).
    #[inline(always)]
    pub(super) unsafe fn from_btf(ptr: NonNull<u8>) -> Self {
        Cred(ptr)
    }

    /// Its real, effective and saved uids.
    #[inline(always)]
    pub fn uids(self) -> [u32; 3] {
        // SAFETY: credentials (the type's invariant); each field is a `kuid_t` (a `u32`).
        unsafe {
            [
                read_field(self.0, layout!(cred_uid)),
                read_field(self.0, layout!(cred_euid)),
                read_field(self.0, layout!(cred_suid)),
            ]
        }
    }

    /// Its real, effective and saved gids.
    #[inline(always)]
    pub fn gids(self) -> [u32; 3] {
        // SAFETY: as for `uids`; each field is a `kgid_t` (a `u32`).
        unsafe {
            [
                read_field(self.0, layout!(cred_gid)),
                read_field(self.0, layout!(cred_egid)),
                read_field(self.0, layout!(cred_sgid)),
            ]
        }
    }
}
