//! A `/proc/PID/maps` snapshot as the ledger takes it in, and what became of it.

use super::region::Region;

/// What a snapshot of `/proc/PID/maps` said, and when it was taken.
#[derive(Clone, Debug, Default)]
pub struct MapsRead {
    pub regions: Vec<Region>,
    /// `start_brk` from `/proc/PID/stat` (0 if unknown).
    pub start_brk: u64,
    /// `CLOCK_MONOTONIC` ns just before the file was read: events stamped at or after it
    /// may not be in it and are replayed on top.
    pub taken_ns: u64,
    /// `CLOCK_MONOTONIC` ns just after it was read (0: unknown). The kernel does not read maps
    /// atomically: a change made during the read can be half in it (a region moved to a lower
    /// address can be missed at both ends), so a snapshot during which the process changed
    /// its mappings is refused and read again.
    pub done_ns: u64,
}

/// What [`super::Ledger::reconcile`] did with a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reconciled {
    /// Taken in: the address space is now the snapshot plus the events since.
    Taken,
    /// The process is not tracked (it exited meanwhile).
    Untracked,
    /// Taken before the address space began (an exec replaced it): the exec asked for a newer one.
    Stale,
    /// The process changed its mappings while it was read: read it again.
    Torn,
}
