//! The calls applied to an address space while a `/proc` read of it is awaited: replayed on
//! top of the read when it comes, so that the read and the ledger describe the same moment.

use super::apply::Call;
use crate::event::Kind;

/// Calls a log keeps at most. A busy process makes a million calls a second and a read may
/// wait behind others: past this, the oldest half goes, and a read taken before the newest
/// call dropped cannot be replayed onto (it is read again).
pub(super) const LOG_MAX: usize = 1 << 15;

/// A log of calls, in the order their records came (see the module's doc).
#[derive(Clone, Debug, Default)]
pub struct ReplayLog {
    calls: Vec<(Call, Kind)>,
    /// The latest stamp of a call dropped to make room (0: none dropped).
    dropped_until_ns: u64,
}

impl ReplayLog {
    /// Logs a call.
    pub(super) fn push(&mut self, call: Call, kind: &Kind) {
        if self.calls.len() >= LOG_MAX {
            let half = self.calls.len() / 2;
            let latest = self.calls[..half].iter().map(|(c, _)| c.ts_ns).max();
            self.dropped_until_ns = self.dropped_until_ns.max(latest.unwrap_or(0));
            self.calls.drain(..half);
        }
        self.calls.push((call, kind.clone()));
    }

    /// Whether every call stamped at or after `taken_ns` is here.
    pub(super) fn covers(&self, taken_ns: u64) -> bool {
        self.dropped_until_ns < taken_ns
    }

    /// Whether a call was made while a read was taken, from `taken_ns` to `done_ns`. The
    /// kernel writes `/proc/PID/maps` a page at a time, each part as the mappings were then:
    /// such a call may be in the read or not, at either end. Replaying it on top mends the
    /// pages, but not always the layout: where neighbours merge depends on the order the
    /// kernel saw the calls in, and a read that already shows later calls has lost it (a
    /// `cargo xtask bench --part exact` found 13% of a `cargo build` wrong with such reads
    /// taken when one thread made the calls).
    pub(super) fn tears(&self, taken_ns: u64, done_ns: u64) -> bool {
        self.calls
            .iter()
            .any(|(c, _)| c.ts_ns >= taken_ns && c.ts_ns <= done_ns)
    }

    /// The calls stamped at or after `taken_ns`, in order.
    pub(super) fn since(self, taken_ns: u64) -> impl Iterator<Item = (Call, Kind)> {
        self.calls
            .into_iter()
            .filter(move |(c, _)| c.ts_ns >= taken_ns)
    }

    /// Calls logged.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.calls.len()
    }
}

#[cfg(test)]
mod tests;
