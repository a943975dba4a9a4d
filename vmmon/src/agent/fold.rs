//! Folding what the `/proc` side sends back into the ledger: one process's maps (bootstrap,
//! exec, a targeted or periodic resync), or a sweep of every process's figures.

use super::core::{Core, MAX_TORN_TRIES};
use super::reads::{FromProc, Priority, Resynced};
use crate::event::{Comm, Swept};
use crate::ledger::{Need, Reason, Reconciled, Why};
use crate::procfs::ReadError;
use std::collections::HashSet;

impl Core {
    pub(super) fn fold(&mut self, r: FromProc) {
        match r {
            FromProc::Read(r) => self.fold_read(r),
            FromProc::Swept {
                started_ns,
                result: Ok(swept),
            } => self.fold_sweep(started_ns, &swept),
            FromProc::Swept { result: Err(e), .. } => {
                self.status.sweep_errors += 1;
                log::warn!("a sweep of every process's figures failed: {e}");
            }
        }
    }

    fn fold_read(&mut self, r: Resynced) {
        if self.bootstrap.remove(&r.tgid) {
            self.status.bootstrap_pending = self.bootstrap.len();
            if self.bootstrap.is_empty() {
                let ms = self.started.elapsed().as_millis() as u64;
                self.status.bootstrap_ms = Some(ms);
                log::info!(
                    "bootstrap: read {} processes' maps in {ms} ms",
                    self.ledger.processes().count()
                );
            }
        }
        match r.result {
            Ok(read) => {
                self.status.malformed_lines += read.malformed as u64;
                let (unit, uid) = (read.unit.clone(), read.uid);
                if read.kernel_thread {
                    self.ledger.forget(r.tgid);
                } else if self.ledger.process(r.tgid).is_some() {
                    let tries = self.torn.get(&r.tgid).copied().unwrap_or(0);
                    let why = match r.priority {
                        Priority::Periodic => Why::Periodic,
                        Priority::Front => Why::Targeted,
                        Priority::Urgent => Why::Other,
                    };
                    let how = (tries >= MAX_TORN_TRIES, why);
                    match self.ledger.reconcile(r.tgid, read.snapshot, how) {
                        // A drift check of a process busy changing its mappings: its records'
                        // figures check it all the while; the next round reads it again.
                        Reconciled::Torn if self.drift_check_only(r.tgid, r.priority) => {
                            self.torn.remove(&r.tgid);
                            self.ledger.cancel_snapshot(r.tgid);
                        }
                        Reconciled::Torn => {
                            self.torn.insert(r.tgid, tries + 1);
                            self.ledger.expect_snapshot(r.tgid);
                            self.reads.request(r.tgid, r.priority);
                        }
                        // Stale: taken before an exec, which asked for a newer read itself.
                        Reconciled::Applied | Reconciled::Stale | Reconciled::Untracked => {
                            self.torn.remove(&r.tgid);
                        }
                    }
                } else if !self.exited.contains(&r.tgid) {
                    let comm = Comm::from_bytes(read.comm.as_bytes());
                    self.ledger.insert_snapshot(r.tgid, comm, read.snapshot);
                }
                self.ledger.set_identity(r.tgid, unit.as_deref(), uid);
            }
            Err(ReadError::Gone(pid)) => self.ledger.forget(pid),
            Err(e) => {
                self.status.unreadable += 1;
                log::debug!("{e}");
            }
        }
    }

    /// Whether a read of `tgid` was only the round robin's drift check: asked at periodic
    /// priority, of a process no check has found wrong since (a read a check asked for would
    /// take the calls logged meanwhile).
    fn drift_check_only(&self, tgid: u32, priority: Priority) -> bool {
        priority == Priority::Periodic
            && self
                .ledger
                .process(tgid)
                .is_none_or(|p| !matches!(p.verdict, Some(crate::ledger::Verdict::Mismatch(_))))
    }

    /// A sweep begun at `started_ns`: every process's figures are held against its ledger;
    /// a process it does not know is read, and one it knows that the sweep did not find
    /// (its exit missed) is read too, to be found gone.
    fn fold_sweep(&mut self, started_ns: u64, swept: &[Swept]) {
        self.status.sweeps += 1;
        let mut seen = HashSet::with_capacity(swept.len());
        for s in swept {
            seen.insert(s.tgid);
            if self.exited.contains(&s.tgid) {
                continue;
            }
            let mut applied = self.ledger.swept(s);
            if applied.need.is_none() && applied.verdict == Some(crate::ledger::Verdict::Unchecked)
            {
                let long_ns = self.opts.sweep_interval.as_nanos() as u64;
                applied.need = self.ledger.long_call_need(s, long_ns);
            }
            self.follow(applied, s.ts_ns);
        }
        let missing: Vec<u32> = self
            .ledger
            .processes()
            .filter(|p| p.since_ns < started_ns && !seen.contains(&p.tgid))
            .map(|p| p.tgid)
            .collect();
        for tgid in missing {
            let need = Need {
                tgid,
                reason: Reason::Unknown,
            };
            self.follow(
                crate::ledger::Applied {
                    need: Some(need),
                    ..Default::default()
                },
                started_ns,
            );
        }
    }
}
