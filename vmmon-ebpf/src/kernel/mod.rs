//! The kernel's objects the programs read, as typed pointers: a [`Task`], its address space
//! ([`Mm`]), credentials ([`Cred`]), signal state ([`Signal`]) and user registers ([`Regs`]),
//! and an exec's [`Binprm`]. Each wraps a pointer the verifier knows by its BTF type and reads
//! its fields at the offsets the agent resolved from the running kernel's BTF (the global
//! `LAYOUT`); the verifier checks each load against the type and turns a fault into zeros.
//!
//! The constructors that take a pointer from outside are `unsafe` (their callers vouch for
//! it); a pointer read from a field of one of these objects is BTF-typed by construction. All
//! but [`Mm`] are never null (absent is `None`), so their accessors are safe, their reads
//! argued once, in [`read_field`]'s contract. An [`Mm`] may be null (see why there), and its
//! accessors are `unsafe`: the caller checks it first.

mod binprm;
mod cred;
mod mm;
mod regs;
mod signal;
mod task;

pub use binprm::Binprm;
pub use cred::Cred;
pub use mm::Mm;
pub use regs::Regs;
pub use signal::Signal;
pub use task::Task;

use core::ptr::NonNull;

/// Reads a `T` at byte `offset` of a kernel object: a plain load, which the verifier turns
/// into a checked kernel read.
///
/// # Safety
/// `object` must point to a kernel object the verifier knows by its BTF type (a tracepoint's
/// or iterator's typed argument, a BTF-returning helper's result, or a pointer read from a
/// field of such an object), and `offset` must be the offset in the running kernel (a field
/// of `LAYOUT`) of a field of that object's type whose size is `T`'s.
#[inline(always)]
unsafe fn read_field<T: Copy>(object: NonNull<u8>, offset: usize) -> T {
    // SAFETY: the caller's contract; the verifier checks the load against the type (the
    // offset is a load-time constant).
    unsafe { core::ptr::read(object.as_ptr().add(offset) as *const T) }
}

/// Reads a pointer field at byte `offset` of a kernel object: `None` when it is null.
///
/// # Safety
/// As for [`read_field`], the field being a pointer.
#[inline(always)]
unsafe fn read_pointer(object: NonNull<u8>, offset: usize) -> Option<NonNull<u8>> {
    // SAFETY: the caller's contract.
    NonNull::new(unsafe { read_field::<*mut u8>(object, offset) })
}
