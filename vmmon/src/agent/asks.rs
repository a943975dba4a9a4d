//! What the owner asks of the `/proc` side: a read for each need, with the priority its
//! reason gives; mismatches of a process read lately deferred, then read again if still
//! wrong; the round robin of periodic resyncs; and sweeps of every process's figures.

use super::core::Core;
use super::reads::Priority;
use crate::ledger::{Need, Reason, Verdict};
use crate::source::Sweep;
use std::time::Duration;

/// After a read asked for because a check found a ledger wrong, further mismatches of that
/// process within this long wait (its read is on the way, or it changes faster than it can
/// be read): then, if its latest check still finds it wrong, it is read again.
pub(super) const TARGETED_EVERY_NS: u64 = 200_000_000;

impl Core {
    /// Asks for the read `need` calls for, with the priority its reason gives.
    pub(super) fn ask(&mut self, need: Need, ts_ns: u64) {
        log::trace!("reading pid {} ({:?})", need.tgid, need.reason);
        let priority = match need.reason {
            Reason::Mismatch(_) => {
                let last = self.targeted.insert(need.tgid, ts_ns);
                if let Some(last) = last
                    && ts_ns.saturating_sub(last) < TARGETED_EVERY_NS
                {
                    self.targeted.insert(need.tgid, last);
                    self.deferred.insert(need.tgid);
                    return;
                }
                self.ledger.expect_snapshot(need.tgid);
                Priority::Front
            }
            Reason::LongCall => {
                self.ledger.expect_snapshot(need.tgid);
                Priority::Front
            }
            Reason::Exec | Reason::Unknown | Reason::Effect => {
                self.ledger.expect_snapshot(need.tgid);
                Priority::Urgent
            }
        };
        self.reads.request(need.tgid, priority);
    }

    /// At `now_ns` (`CLOCK_MONOTONIC`), reads again the processes whose mismatch waited out
    /// [`TARGETED_EVERY_NS`] and that their latest check still finds wrong.
    pub fn retry_deferred(&mut self, now_ns: u64) {
        if self.deferred.is_empty() {
            return;
        }
        let due: Vec<u32> = self
            .deferred
            .iter()
            .copied()
            .filter(|pid| {
                self.targeted
                    .get(pid)
                    .is_none_or(|&t| now_ns.saturating_sub(t) >= TARGETED_EVERY_NS)
            })
            .collect();
        for pid in due {
            self.deferred.remove(&pid);
            let wrong = self
                .ledger
                .process(pid)
                .and_then(|p| p.verdict)
                .and_then(|v| match v {
                    Verdict::Mismatch(m) => Some(m),
                    _ => None,
                });
            if let Some(m) = wrong {
                self.targeted.remove(&pid);
                self.ask(
                    Need {
                        tgid: pid,
                        reason: Reason::Mismatch(m),
                    },
                    now_ns,
                );
            }
        }
    }

    /// Whether a sweep is due at `now` (the loop's clock): the caller starts one from its
    /// event source and hands it to [`Core::sweep`].
    pub fn sweep_due(&self, now: Duration) -> bool {
        !self.opts.sweep_interval.is_zero()
            && self.status.self_check
            && self
                .last_sweep
                .is_none_or(|t| now.saturating_sub(t) >= self.opts.sweep_interval)
    }

    /// Sends `sweep`, started at `now` (the loop's clock) and `now_ns` (`CLOCK_MONOTONIC`),
    /// to be read off the event path.
    pub fn sweep(&mut self, sweep: Sweep, now: Duration, now_ns: u64) {
        self.last_sweep = Some(now);
        self.reads.sweep(sweep, now_ns);
    }

    pub(super) fn schedule_resyncs(&mut self) {
        let mut pids: Vec<u32> = self.ledger.processes().map(|p| p.tgid).collect();
        pids.sort_unstable();
        let start = pids.partition_point(|&p| p <= self.cursor);
        let n = (self.opts.resyncs_per_second as usize).min(pids.len());
        for i in 0..n {
            let pid = pids[(start + i) % pids.len()];
            self.ledger.expect_snapshot(pid);
            self.reads.request(pid, Priority::Periodic);
            self.cursor = pid;
        }
    }

    /// A new drift-check rate (from a configuration reload).
    pub fn set_resync_rate(&mut self, per_second: u32) {
        self.reads.set_rate(per_second);
        self.opts.resyncs_per_second = per_second;
        self.status.resyncs_per_second = per_second;
        self.dirty = true;
    }
}
