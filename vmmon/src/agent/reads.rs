//! How the core asks for `/proc` reads and sweeps and gets them back: the seam to the
//! `/proc` side. The reader thread ([`super::resync::Resyncer`]) is one implementation of
//! [`Reads`]; tests use another that only records what was asked.

use crate::event::Swept;
use crate::ledger::ReadReason;
use crate::procfs::{ProcessRead, ReadError};
use crate::source::Sweep;

/// How soon a pid is read: its place in the reader's queues, which its [`ReadReason`] gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// A ledger a check found wrong: read before anything else.
    Front,
    /// Exec, a process the ledger did not know, bootstrap, an effect only /proc shows.
    Urgent,
    /// A periodic check for drift (the round robin).
    Periodic,
}

impl Priority {
    /// The queue a read for `reason` waits in.
    pub fn of(reason: ReadReason) -> Priority {
        match reason {
            ReadReason::Mismatch(_) | ReadReason::LongCall => Priority::Front,
            ReadReason::Bootstrap | ReadReason::Exec | ReadReason::Unknown | ReadReason::Effect => {
                Priority::Urgent
            }
            ReadReason::Periodic => Priority::Periodic,
        }
    }
}

/// A read's result, for the ledger's owner, with the reason it was asked for.
#[derive(Debug)]
pub struct Resynced {
    pub tgid: u32,
    pub reason: ReadReason,
    pub result: Result<ProcessRead, ReadError>,
}

/// What comes back from the `/proc` side.
#[derive(Debug)]
pub enum FromProc {
    /// One process's maps.
    Read(Resynced),
    /// Every process's figures: the sweep started at `started_ns` (`CLOCK_MONOTONIC`).
    Swept {
        started_ns: u64,
        result: std::io::Result<Vec<Swept>>,
    },
}

/// Where the core sends its requests for `/proc` reads and sweeps. The results come back to
/// the core through [`super::Core::hold`].
pub trait Reads: Send {
    /// Asks for `tgid`'s maps, for `reason`.
    fn request(&self, tgid: u32, reason: ReadReason);
    /// Changes how many periodic reads a second are made.
    fn set_rate(&self, periodic_per_second: u32);
    /// Runs `sweep`, started at `started_ns`.
    fn sweep(&self, sweep: Sweep, started_ns: u64);
}
