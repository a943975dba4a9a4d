//! How the core asks for `/proc` reads and gets them back: the seam to the `/proc` side.
//! The reader thread ([`super::resync::Resyncer`]) is one implementation of [`Reads`]; tests
//! use another that only records what was asked.

use crate::procfs::{Read, ReadError};

/// How soon a pid should be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// Exec, a process the ledger did not know, bootstrap.
    Urgent,
    /// A periodic check for drift.
    Periodic,
}

/// A read's result, for the ledger's owner.
#[derive(Debug)]
pub struct Resynced {
    pub tgid: u32,
    pub priority: Priority,
    pub result: Result<Read, ReadError>,
}

/// Where the core sends its requests for `/proc` reads. The results come back to the core
/// through [`super::Core::hold`].
pub trait Reads: Send {
    /// Asks for `tgid`'s maps.
    fn request(&self, tgid: u32, priority: Priority);
    /// Changes how many periodic reads a second are made.
    fn set_rate(&self, periodic_per_second: u32);
}
