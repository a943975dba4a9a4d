//! The address-space ledger: per process, a live model of its mappings that agrees with the
//! kernel's own (`/proc/PID/maps`), kept from the event stream. Pure: no I/O.
//!
//! - [`region`]: one mapping, and [`attrs`], its flags beyond permissions;
//! - [`space`]: an address space as an ordered interval map, with the kernel's split rules,
//!   [`moves`] (regions moved or grown by `mremap` and `brk`), and [`sums`], what its
//!   regions add up to, kept as it changes;
//! - [`sites`]: the call site behind each byte of a region;
//! - [`displaced`]: what a mapping displaced because another thread's unmap arrives late;
//! - [`apply`]: what each syscall does to an address space, and [`adjust`], the calls that
//!   change mappings' flags;
//! - [`process`]: a tracked process, and [`refused`], the calls the kernel refused it; [`book`]: every process's address space, changed by
//!   [`syscall`] records, through fork, exec and exit ([`lineage`]) and held to the kernel's
//!   figures ([`judge`]);
//! - [`reconcile`]: making an address space what a `/proc` snapshot says, and [`counters`],
//!   what that had to correct;
//! - [`check`]: holding a ledger to the kernel's own figures;
//! - [`diff`]: where two address spaces disagree.

mod adjust;
pub mod apply;
pub mod attrs;
pub mod book;
pub mod check;
pub mod counters;
pub mod diff;
pub mod displaced;
mod journal;
mod judge;
mod lineage;
mod moves;
pub mod process;
pub mod reconcile;
pub mod refused;
pub mod region;
pub mod region_map;
mod replay_log;
pub mod sites;
pub mod space;
pub mod sums;
mod syscall;

#[cfg(test)]
mod tests;

pub use apply::{Call, Outcome, apply, apply_call};
pub use attrs::Attrs;
pub use book::Ledger;
pub use check::{CheckCounters, CheckState, Mismatch, Verdict};
pub use counters::{Cause, Counters};
pub use process::{Applied, CallCounts, EXIT_SITES, Exited, Kernel, Need, Process, Reason};
pub use reconcile::{MapsRead, Reconciled, Why};
pub use refused::{Refused, RefusedCall};
pub use region::{Origin, PAGE, Perms, Region, RegionKind, page_up};
pub use sites::{NO_SITE, SiteId, SiteSpans, SiteTable, SiteTotal, site_name};
pub use space::{AddressSpace, RegionMap, Totals, region_at};
pub use sums::{BytesByKind, MappingsByKind, PermBytes, Sums, coalesce};
