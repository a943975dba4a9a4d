//! When the owner reads a process from `/proc`: how often a process found wrong is read
//! again, how many times a torn read is retried, and where the round robin of drift checks
//! is. The owner asks; the plan decides.

use crate::ledger::{Mismatch, Need, ReadReason};
use std::collections::{HashMap, HashSet};

/// After a read asked for because a check found a ledger wrong, further mismatches of that
/// process within this long wait (its read is on the way, or it changes faster than it can
/// be read): then, if its latest check still finds it wrong, it is read again.
pub const TARGETED_EVERY_NS: u64 = 200_000_000;

/// How many times a process's read is retried because it changed its mappings meanwhile,
/// before one is taken as it is.
pub const MAX_TORN_TRIES: u32 = 32;

/// The owner's read schedule.
#[derive(Debug, Default)]
pub struct ReadPlan {
    /// Reads refused as torn, per pid, to give up after a few and accept one.
    torn: HashMap<u32, u32>,
    /// When each process was last read because a check found it wrong (event ns).
    targeted: HashMap<u32, u64>,
    /// Processes found wrong again soon after their last such read.
    deferred: HashSet<u32>,
    /// The pid the round robin of periodic resyncs reached.
    cursor: u32,
}

impl ReadPlan {
    /// Whether `need`, found at `ts_ns`, is read now: a mismatch of a process read for one
    /// less than [`TARGETED_EVERY_NS`] ago waits (it is deferred) instead.
    pub fn admits(&mut self, need: Need, ts_ns: u64) -> bool {
        if !matches!(need.reason, ReadReason::Mismatch(_)) {
            return true;
        }
        let last = self.targeted.insert(need.tgid, ts_ns);
        if let Some(last) = last
            && ts_ns.saturating_sub(last) < TARGETED_EVERY_NS
        {
            self.targeted.insert(need.tgid, last);
            self.deferred.insert(need.tgid);
            return false;
        }
        true
    }

    /// At `now_ns`, the deferred processes that waited out [`TARGETED_EVERY_NS`] and that
    /// `wrong` (their latest check) still finds wrong: read again, as new mismatches.
    pub fn due(&mut self, now_ns: u64, wrong: impl Fn(u32) -> Option<Mismatch>) -> Vec<Need> {
        let waited: Vec<u32> = self
            .deferred
            .iter()
            .copied()
            .filter(|pid| {
                self.targeted
                    .get(pid)
                    .is_none_or(|&t| now_ns.saturating_sub(t) >= TARGETED_EVERY_NS)
            })
            .collect();
        let mut due = Vec::new();
        for pid in waited {
            self.deferred.remove(&pid);
            if let Some(m) = wrong(pid) {
                self.targeted.remove(&pid);
                due.push(Need {
                    tgid: pid,
                    reason: ReadReason::Mismatch(m),
                });
            }
        }
        due
    }

    /// Whether any process waits for its mismatch to be read again.
    pub fn has_deferred(&self) -> bool {
        !self.deferred.is_empty()
    }

    /// How many times `tgid`'s read was refused as torn in a row.
    pub fn torn_tries(&self, tgid: u32) -> u32 {
        self.torn.get(&tgid).copied().unwrap_or(0)
    }

    /// `tgid`'s read was refused as torn once more.
    pub fn torn(&mut self, tgid: u32) {
        *self.torn.entry(tgid).or_default() += 1;
    }

    /// `tgid`'s read was taken in, or given up: its torn tries start again.
    pub fn settled(&mut self, tgid: u32) {
        self.torn.remove(&tgid);
    }

    /// The next `n` of `pids` the round robin checks for drift, by pid after the last one
    /// it reached.
    pub fn next_periodic(&mut self, mut pids: Vec<u32>, n: usize) -> Vec<u32> {
        pids.sort_unstable();
        let start = pids.partition_point(|&p| p <= self.cursor);
        let n = n.min(pids.len());
        let next: Vec<u32> = (0..n).map(|i| pids[(start + i) % pids.len()]).collect();
        if let Some(&last) = next.last() {
            self.cursor = last;
        }
        next
    }

    /// Forgets the processes `alive` says are gone.
    pub fn retain(&mut self, alive: impl Fn(u32) -> bool) {
        self.targeted.retain(|pid, _| alive(*pid));
        self.deferred.retain(|pid| alive(*pid));
    }
}
