//! The ledger's owner as a state machine: it applies events in ring order, asks for `/proc`
//! reads and folds their results back in, samples growth, and publishes snapshots. It does no
//! I/O of its own: events come from an [`EventSource`], reads go out through [`Reads`] and
//! come back through [`Core::hold`], and time comes in as arguments.

use super::publish::Publisher;
use super::reads::{Priority, Reads, Resynced};
use crate::event::{DecodeError, Event, Kind};
use crate::ledger::{Ledger, Reconciled, page_up};
use crate::procfs::ReadError;
use crate::source::EventSource;
use crate::stats::Growth;
use crate::view::{EventLog, MachineTotals, Snapshot, Status};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many times a process's read is retried because it changed its mappings meanwhile,
/// before one is taken as it is.
pub const MAX_TORN_TRIES: u32 = 8;

/// How the owner runs (from the configuration: `CoreOptions::from_config`).
#[derive(Clone, Debug)]
pub struct CoreOptions {
    /// Processes checked against `/proc` each second for drift (round robin); 0 turns the
    /// periodic check off (tests use that to see what the event stream alone achieves).
    pub resyncs_per_second: u32,
    /// The window of the growth figures, in seconds.
    pub growth_window_s: u64,
    /// eBPF programs attached (for the health metrics).
    pub programs_attached: u64,
}

impl CoreOptions {
    /// The options a configuration gives.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            resyncs_per_second: config.agent.resyncs_per_second,
            growth_window_s: config.metrics.growth_window_seconds,
            programs_attached: 0,
        }
    }
}

/// The ledger's owner.
pub struct Core {
    ledger: Ledger,
    reads: Box<dyn Reads>,
    /// Reads that arrived, waiting for a drain to begin after them.
    held: Vec<Resynced>,
    status: Status,
    /// Processes still waiting for their first read at start-up.
    bootstrap: HashSet<u32>,
    started: Instant,
    /// Processes whose exit was seen this second: a late read of them must not bring them
    /// back.
    exited: HashSet<u32>,
    /// Processes tracked at the last memory trim.
    trimmed_at: usize,
    growth: Growth,
    events: EventLog,
    totals: MachineTotals,
    /// Reads refused as torn, per pid, to give up after a few and accept one.
    torn: HashMap<u32, u32>,
    cursor: u32,
    opts: CoreOptions,
    publisher: Publisher,
    /// Something changed since the last snapshot.
    dirty: bool,
}

impl Core {
    /// A core that asks `reads` for every process in `running` (the bootstrap).
    pub fn new(opts: CoreOptions, reads: Box<dyn Reads>, running: Vec<u32>) -> Self {
        let bootstrap: HashSet<u32> = running.into_iter().collect();
        for &pid in &bootstrap {
            reads.request(pid, Priority::Urgent);
        }
        let status = Status {
            bootstrap_pending: bootstrap.len(),
            bootstrap_ms: bootstrap.is_empty().then_some(0),
            growth_window_seconds: opts.growth_window_s,
            ..Status::default()
        };
        let totals = MachineTotals {
            programs_attached: opts.programs_attached,
            ..MachineTotals::default()
        };
        Self {
            ledger: Ledger::new(),
            reads,
            held: Vec::new(),
            status,
            bootstrap,
            started: Instant::now(),
            exited: HashSet::new(),
            trimmed_at: 0,
            growth: Growth::new(opts.growth_window_s),
            events: EventLog::default(),
            totals,
            torn: HashMap::new(),
            cursor: 0,
            opts,
            publisher: Publisher::default(),
            dirty: true,
        }
    }

    /// The ledger (for tests and in-process checks).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The owner's accounting as of now.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Whether something changed since the last snapshot.
    pub fn dirty(&self) -> bool {
        self.dirty
    }

    /// A `/proc` read came back. It is folded in at the end of the next drain, so that every
    /// event stamped before the read has been applied first.
    pub fn hold(&mut self, r: Resynced) {
        self.held.push(r);
    }

    /// Applies every waiting event, then the reads that arrived before the drain began.
    pub fn drain<S: EventSource>(&mut self, source: &mut S) -> usize {
        let held = std::mem::take(&mut self.held);
        let mut batch = Vec::new();
        let n = source.drain(&mut |r| self.record(r, &mut batch));
        self.events.push_batch(batch);
        let folded = !held.is_empty();
        for r in held {
            self.fold(r);
        }
        self.status.kernel = source.counters();
        self.dirty |= n > 0 || folded;
        n
    }

    fn record(&mut self, r: Result<Event, DecodeError>, batch: &mut Vec<Event>) {
        self.status.events_received += 1;
        let e = match r {
            Ok(e) => e,
            Err(err) => {
                self.status.decode_errors += 1;
                log::debug!("undecodable record: {err}");
                return;
            }
        };
        count_syscall(&mut self.totals, &e.kind);
        if e.kind == (Kind::Exit { group_dead: true }) {
            self.exited.insert(e.tgid);
        }
        if let Some(need) = self.ledger.apply(&e) {
            log::trace!("reading pid {} ({:?})", need.tgid, need.reason);
            self.reads.request(need.tgid, Priority::Urgent);
        }
        batch.push(e);
    }

    fn fold(&mut self, r: Resynced) {
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
                    match self
                        .ledger
                        .reconcile(r.tgid, read.snapshot, tries >= MAX_TORN_TRIES)
                    {
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
                    let comm = crate::event::Comm::from_bytes(read.comm.as_bytes());
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

    /// Once a second, at `now_s` seconds since start: forgets last second's exits, samples
    /// growth, and queues the next few processes for a drift check, round robin by pid.
    /// Returns true when many processes left since the last time it did: the caller should
    /// give freed memory back to the system.
    pub fn tick(&mut self, now_s: u64) -> bool {
        self.exited.clear();
        let trim = self.should_trim();
        let sizes: Vec<(u32, u64)> = self
            .ledger
            .processes()
            .filter(|p| self.ledger.is_filled(p.tgid))
            .filter_map(|p| Some((p.tgid, self.ledger.space(p.tgid)?.totals().virtual_bytes)))
            .collect();
        self.growth.record(now_s, sizes);
        self.publisher.regrow(&self.growth);
        self.dirty = true;
        if self.opts.resyncs_per_second > 0 {
            self.schedule_resyncs();
        }
        trim
    }

    fn should_trim(&mut self) -> bool {
        let now = self.ledger.processes().count();
        if now + 1000 < self.trimmed_at {
            self.ledger.shrink();
            self.trimmed_at = now;
            true
        } else {
            self.trimmed_at = self.trimmed_at.max(now);
            false
        }
    }

    fn schedule_resyncs(&mut self) {
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
    }

    /// Counts the time the ring waited since the drain before.
    pub fn record_drain_gap(&mut self, gap: Duration) {
        self.status.drain_gaps.record(gap);
    }

    /// The picture as of now, at `now_s` (`CLOCK_MONOTONIC` seconds).
    pub fn snapshot(&mut self, now_s: f64) -> Arc<Snapshot> {
        let touched = self.ledger.take_touched();
        self.publisher.update(&self.ledger, &self.growth, touched);
        self.status.processes = self.ledger.processes().count();
        self.status.ledger = self.ledger.counters().clone();
        self.dirty = false;
        Arc::new(Snapshot {
            processes: self.publisher.processes(),
            status: self.status.clone(),
            totals: self.totals.clone(),
            events: self.events.clone(),
            published_s: now_s,
        })
    }
}

/// Counts a syscall event in the machine totals.
fn count_syscall(totals: &mut MachineTotals, kind: &Kind) {
    let Some(syscall) = kind.syscall() else {
        return;
    };
    let failed = kind.errno().is_some();
    totals.syscalls.count(syscall, failed);
    if failed {
        return;
    }
    match *kind {
        Kind::Mmap { len, .. } => totals.bytes_mapped += page_up(len),
        Kind::Munmap { len, .. } => totals.bytes_unmapped += page_up(len),
        Kind::Mremap {
            old_len, new_len, ..
        } => {
            let (old, new) = (page_up(old_len), page_up(new_len));
            if new > old {
                totals.bytes_mapped += new - old;
            } else {
                totals.bytes_unmapped += old - new;
            }
        }
        _ => {}
    }
}
