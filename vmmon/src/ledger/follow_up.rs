//! What the ledger asks of its owner after an event, a sweep or a snapshot: a `/proc` read
//! (and why), a check's verdict, a footprint.

use super::check::{Mismatch, Verdict};
use super::exited::Exited;

/// Why a process's maps are read from `/proc`: asked by the ledger ([`Need`]) or by its
/// owner (bootstrap, the round robin), carried with the read and back, and counted when the
/// read is taken in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadReason {
    /// A process running before the agent started.
    Bootstrap,
    /// A new image: the kernel builds it without syscalls.
    Exec,
    /// A process the ledger did not know (started before the agent, or a missed fork).
    Unknown,
    /// A check found the ledger wrong.
    Mismatch(Mismatch),
    /// A call whose effect only `/proc` shows (a shared memory segment's size, a name).
    Effect,
    /// A call that has stayed in the kernel longer than a sweep interval while the kernel's
    /// figures are ahead of the ledger (it maps and populates or locks, and its mapping is
    /// in `/proc` long before it returns).
    LongCall,
    /// The round robin's check for drift.
    Periodic,
}

impl ReadReason {
    /// Whether a check asked for the read (a mismatch, or a long call the figures are ahead
    /// of): counted as a targeted resync.
    pub fn targeted(self) -> bool {
        matches!(self, ReadReason::Mismatch(_) | ReadReason::LongCall)
    }
}

/// A request for `/proc/PID/maps`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub tgid: u32,
    pub reason: ReadReason,
}

/// What applying one event (or a sweep) asks of the ledger's owner, besides the change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FollowUp {
    /// The process's maps must be read.
    pub need: Option<Need>,
    /// What holding the ledger to the event's figures found.
    pub verdict: Option<Verdict>,
    /// The process left: its footprint.
    pub exited: Option<Exited>,
}

impl FollowUp {
    /// Only a read to ask for.
    pub fn need(need: Option<Need>) -> Self {
        Self {
            need,
            ..Self::default()
        }
    }

    /// Only a read of `tgid` for `reason`.
    pub fn read(tgid: u32, reason: ReadReason) -> Self {
        Self::need(Some(Need { tgid, reason }))
    }
}

/// The read a check's verdict asks for: one when it found the ledger wrong.
pub(super) fn mismatch_need(tgid: u32, verdict: Option<Verdict>) -> Option<Need> {
    match verdict {
        Some(Verdict::Mismatch(m)) => Some(Need {
            tgid,
            reason: ReadReason::Mismatch(m),
        }),
        _ => None,
    }
}
