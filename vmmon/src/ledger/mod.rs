//! The address-space ledger: per process, a live model of its mappings that agrees with the
//! kernel's own (`/proc/PID/maps`), kept from the event stream. Pure: no I/O.
//!
//! - [`region`]: one mapping and its attributes;
//! - [`space`]: an address space as an ordered interval map, with the kernel's split rules;
//! - [`apply`]: what each syscall does to an address space;
//! - [`book`]: every process's address space, through fork, exec and exit, and its
//!   reconciliation with `/proc` snapshots;
//! - [`diff`]: where two address spaces disagree.

pub mod apply;
pub mod book;
pub mod diff;
pub mod region;
pub mod space;

#[cfg(test)]
mod book_tests;
#[cfg(test)]
mod model;

pub use apply::{Outcome, apply};
pub use book::{Cause, Counters, Ledger, Need, Process, Reason, Reconciled, Snapshot};
pub use region::{Kind, Origin, PAGE, Perms, Region, page_up};
pub use space::{AddressSpace, PermBytes, Totals, coalesce};
