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

    /// Whether a read taken from `taken_ns` to `done_ns` may be torn in a way the replay
    /// cannot mend. The kernel writes `/proc/PID/maps` a page at a time, each part as the
    /// mappings were then: a call made during the read may be in it or not, at either end.
    /// Replaying the calls from `taken_ns` on mends that when each sets the state of its
    /// range whatever was there before (see [`Kind::replays_over_itself`]) and one thread
    /// made them all (in the order it made them). A move (mremap) can take a mapping from
    /// where the read had not come yet to where it had passed, and another thread's calls
    /// may reach the read in another order than the log's.
    pub(super) fn tears(&self, taken_ns: u64, done_ns: u64) -> bool {
        let mut window = self
            .calls
            .iter()
            .filter(|(c, _)| c.ts_ns >= taken_ns && c.ts_ns <= done_ns);
        let Some((first, _)) = window.clone().next() else {
            return false;
        };
        !window.all(|(c, k)| c.tid == first.tid && k.replays_over_itself())
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
mod tests {
    use super::*;

    fn call(tid: u32, ts_ns: u64) -> Call {
        Call {
            tid,
            ts_ns,
            site: 0,
        }
    }

    fn mmap() -> Kind {
        Kind::anon_mmap(0x1000, 0x1000)
    }

    #[test]
    fn a_full_log_drops_its_oldest_half_and_says_which_reads_it_cannot_replay_onto() {
        let mut log = ReplayLog::default();
        for i in 0..LOG_MAX as u64 {
            log.push(call(1, 10 + i), &mmap());
        }
        assert!(log.covers(1));
        log.push(call(1, 10 + LOG_MAX as u64), &mmap());
        assert_eq!(log.len(), LOG_MAX / 2 + 1);
        let dropped_until = 10 + LOG_MAX as u64 / 2 - 1;
        assert!(!log.covers(dropped_until));
        assert!(log.covers(dropped_until + 1));
        assert_eq!(log.since(0).count(), LOG_MAX / 2 + 1);
    }

    #[test]
    fn only_calls_a_replay_cannot_mend_tear_a_read() {
        let mut log = ReplayLog::default();
        log.push(call(1, 5), &mmap());
        log.push(call(1, 20), &mmap());
        log.push(
            call(1, 21),
            &Kind::Munmap {
                addr: 0x1000,
                len: 0x1000,
                ret: 0,
            },
        );
        assert!(!log.tears(10, 30), "one thread mapping and unmapping");
        assert!(!log.tears(22, 30), "nothing during the read");
        let mut other = log.clone();
        other.push(call(2, 25), &mmap());
        assert!(other.tears(10, 30), "two threads");
        assert!(!other.tears(26, 30));
        log.push(
            call(1, 26),
            &Kind::Mremap {
                old_addr: 0x1000,
                old_len: 0x1000,
                new_len: 0x1000,
                flags: 1,
                new_addr: 0,
                ret: 0x9000,
            },
        );
        assert!(log.tears(10, 30), "a move");
    }
}
