//! The ledger's owner as a state machine: it applies events in ring order, holds the ledger
//! to the kernel's figures they carry, asks for `/proc` reads (when, its [`ReadPlan`] says)
//! and sweeps and folds their results back in, samples growth, keeps recent exits and the
//! call sites' frames ([`CallSites`]), and publishes snapshots.
//! It does no I/O of its own: events come from an [`EventSource`], reads and sweeps go out
//! through [`Reads`] and come back through [`Core::hold`], and time comes in as arguments (but
//! for the bootstrap's duration, timed from the core's creation).

use super::call_sites::CallSites;
use super::publish::Publisher;
use super::read_plan::{MAX_TORN_TRIES, ReadPlan};
use super::reads::{FromProc, Reads, Resynced};
use crate::event::{Comm, DecodeError, Event, Swept};
use crate::ledger::{Exited, FollowUp, Ledger, Need, ReadReason, Reconciled, SiteTable, Verdict};
use crate::procfs::ReadError;
use crate::source::{EventSource, Sweep};
use crate::stats::Growth;
use crate::view::{
    EventLog, ExitSites, ExitView, MachineTotals, PublishedTally, RECENT_EVENTS, Recent, Snapshot,
    Status, Tally, TallyOptions,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Memory freed is given back to the system at least this often (ticks, seconds).
const TRIM_EVERY_TICKS: u32 = 10;

/// How the owner runs (from the configuration: `CoreOptions::from_config`).
#[derive(Clone, Debug)]
pub struct CoreOptions {
    /// Processes checked against `/proc` each second for drift (round robin); 0 turns the
    /// periodic check off (tests use that to see what the event stream and the checks
    /// achieve alone).
    pub resyncs_per_second: u32,
    /// How often every process's figures are swept (0: never).
    pub sweep_interval: Duration,
    /// The window of the growth figures, in seconds.
    pub growth_window_s: u64,
    /// Recent exits kept.
    pub exits_kept: usize,
    /// eBPF programs attached (for the health metrics).
    pub programs_attached: u64,
    /// Whether the records carry the kernel's figures (the layout was resolved), and what
    /// was missing when not.
    pub figures: Result<(), Vec<String>>,
    /// Which processes and groups the metrics name, and how long gone groups stay.
    pub tally: TallyOptions,
    /// Which calls have their call site captured (shown in the status).
    pub call_sites: crate::config::SiteCapture,
}

impl CoreOptions {
    /// The options a configuration gives.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            resyncs_per_second: config.agent.resyncs_per_second,
            sweep_interval: Duration::from_millis(config.agent.sweep_interval_ms),
            growth_window_s: config.metrics.growth_window_seconds,
            exits_kept: config.agent.exits_kept,
            programs_attached: 0,
            figures: Ok(()),
            call_sites: config.pipeline.call_sites,
            tally: TallyOptions {
                top_k: config.metrics.top_k,
                max_groups: config.metrics.max_groups,
                retention_s: config.metrics.group_retention_seconds as f64,
            },
        }
    }
}

/// The ledger's owner.
pub struct Core {
    ledger: Ledger,
    reads: Box<dyn Reads>,
    /// Reads and sweeps that arrived, waiting for a drain to begin after them.
    held: Vec<FromProc>,
    status: Status,
    /// Processes still waiting for their first read at start-up.
    bootstrap: HashSet<u32>,
    started: Instant,
    /// Processes whose exit was seen this second: a late read of them must not bring them
    /// back.
    exited: HashSet<u32>,
    /// Processes tracked at the last memory trim.
    trimmed_at: usize,
    /// Whether the memory start-up left behind was given back.
    trimmed_after_start: bool,
    /// Ticks since memory was last given back.
    ticks_untrimmed: u32,
    growth: Growth,
    events: EventLog,
    exits: imbl::Vector<ExitView>,
    /// Exits since the last tick, for the tally.
    exits_since_tick: Vec<ExitView>,
    tally: Tally,
    published_tally: Arc<PublishedTally>,
    totals: MachineTotals,
    /// When to read which process.
    plan: ReadPlan,
    /// When the last sweep started, on the loop's clock.
    last_sweep: Option<Duration>,
    opts: CoreOptions,
    publisher: Publisher,
    /// Something changed since the last snapshot.
    dirty: bool,
    /// Every call site's frames, by id.
    sites: CallSites,
}

impl Core {
    /// A core that asks `reads` for every process in `running` (the bootstrap).
    pub fn new(opts: CoreOptions, reads: Box<dyn Reads>, running: Vec<u32>) -> Self {
        let bootstrap: HashSet<u32> = running.into_iter().collect();
        for &pid in &bootstrap {
            reads.request(pid, ReadReason::Bootstrap);
        }
        let status = Status {
            bootstrap_pending: bootstrap.len(),
            bootstrap_ms: bootstrap.is_empty().then_some(0),
            growth_window_seconds: opts.growth_window_s,
            resyncs_per_second: opts.resyncs_per_second,
            self_check: opts.figures.is_ok(),
            self_check_missing: opts.figures.clone().err().unwrap_or_default(),
            call_sites: opts.call_sites.to_string(),
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
            trimmed_after_start: false,
            ticks_untrimmed: 0,
            growth: Growth::new(opts.growth_window_s),
            events: EventLog::default(),
            exits: imbl::Vector::new(),
            exits_since_tick: Vec::new(),
            tally: Tally::new(opts.tally),
            published_tally: Arc::default(),
            totals,
            plan: ReadPlan::default(),
            last_sweep: None,
            opts,
            publisher: Publisher::default(),
            dirty: true,
            sites: CallSites::default(),
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

    /// A `/proc` read or a sweep came back. It is folded in at the end of the next drain, so
    /// that every event stamped before it has been applied first.
    pub fn hold(&mut self, r: FromProc) {
        self.held.push(r);
    }

    /// Applies every waiting event, then the reads and sweeps that arrived before the drain
    /// began.
    pub fn drain<S: EventSource>(&mut self, source: &mut S) -> usize {
        let held = std::mem::take(&mut self.held);
        let mut batch = Recent::new(RECENT_EVENTS);
        let n = source.drain(&mut |r| self.record(r, &mut batch));
        batch.into_log(&mut self.events);
        let folded = !held.is_empty();
        for r in held {
            self.fold(r);
        }
        self.status.kernel = source.counters();
        self.dirty |= n > 0 || folded;
        n
    }

    fn record(&mut self, r: Result<Event, DecodeError>, batch: &mut Recent) {
        self.status.events_received += 1;
        let e = match r {
            Ok(e) => e,
            Err(err) => {
                self.status.decode_errors += 1;
                log::debug!("undecodable record: {err}");
                return;
            }
        };
        self.totals.count(&e.kind);
        if e.is_process_exit() {
            self.exited.insert(e.tgid);
        }
        self.sites.note(&e);
        let follow_up = self.ledger.apply(&e);
        self.follow(follow_up, e.ts_ns);
        batch.push(e);
    }

    /// Does what applying an event or a sweep asked for: a read, or a footprint.
    fn follow(&mut self, follow_up: FollowUp, ts_ns: u64) {
        if let Some(need) = follow_up.need {
            self.ask(need, ts_ns);
        }
        if let Some(x) = follow_up.exited {
            self.keep_exit(x);
        }
    }

    fn keep_exit(&mut self, mut x: Exited) {
        let mut view = ExitView::from(&x);
        let regions = x.regions.take();
        view.held = ExitSites::keep(
            std::mem::take(&mut x.sites),
            x.refused.as_deref(),
            self.sites.table(),
            regions.as_ref(),
        )
        .map(Arc::new);
        if self.exits.len() >= self.opts.exits_kept {
            self.exits.pop_front();
        }
        if self.opts.exits_kept > 0 {
            self.exits.push_back(view.clone());
        }
        self.exits_since_tick.push(view);
    }

    /// Once a second, at `now_s` seconds since start: forgets last second's exits, samples
    /// growth, and queues the next few processes for a drift check, round robin by pid.
    /// Returns true when many processes left since the last time it did: the caller should
    /// give freed memory back to the system.
    pub fn tick(&mut self, now_s: u64) -> bool {
        self.exited.clear();
        let ledger = &self.ledger;
        self.plan.retain(|pid| ledger.process(pid).is_some());
        let trim = self.should_trim();
        let sizes: Vec<(u32, u64)> = self
            .ledger
            .processes()
            .filter(|p| self.ledger.is_filled(p.tgid))
            .filter_map(|p| Some((p.tgid, self.ledger.space(p.tgid)?.kernel_bytes())))
            .collect();
        self.growth.record(now_s, sizes);
        self.publisher.regrow(&self.growth);
        // The tally counts from the views as published, brought up to date first.
        let touched = self.ledger.take_touched();
        self.publisher.update(&self.ledger, &self.growth, touched);
        let exits = std::mem::take(&mut self.exits_since_tick);
        let published = self.publisher.processes();
        self.tally
            .update(now_s as f64, published.values().map(|e| &e.view), &exits);
        self.published_tally = Arc::new(self.tally.published());
        self.dirty = true;
        if self.opts.resyncs_per_second > 0 {
            self.schedule_resyncs();
        }
        self.sites.prune(&self.ledger);
        trim
    }

    fn should_trim(&mut self) -> bool {
        let now = self.ledger.processes().count();
        // Once after start-up: loading the programs and the bootstrap's reads leave
        // megabytes of freed memory behind; and every few seconds, for what a burst of
        // events left (its drains' batches, its replay logs).
        let started = self.status.bootstrap_ms.is_some() && !self.trimmed_after_start;
        self.trimmed_after_start |= started;
        self.ticks_untrimmed += 1;
        let due = self.ticks_untrimmed >= TRIM_EVERY_TICKS;
        if due || started {
            self.ticks_untrimmed = 0;
        }
        if started || due || now + 1000 < self.trimmed_at {
            self.ledger.shrink();
            self.trimmed_at = now;
            true
        } else {
            self.trimmed_at = self.trimmed_at.max(now);
            false
        }
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
            exits: self.exits.clone(),
            tally: Arc::clone(&self.published_tally),
            sites: self.sites.table().clone(),
            published_s: now_s,
        })
    }

    /// Every call site's frames, by id.
    pub fn sites(&self) -> &SiteTable {
        self.sites.table()
    }

    /// Asks for the read `need` calls for, unless its plan defers it.
    fn ask(&mut self, need: Need, ts_ns: u64) {
        log::trace!("reading pid {} ({:?})", need.tgid, need.reason);
        if self.plan.admits(need, ts_ns) {
            self.ledger.expect_snapshot(need.tgid);
            self.reads.request(need.tgid, need.reason);
        }
    }

    /// At `now_ns` (`CLOCK_MONOTONIC`), reads again the processes whose mismatch waited out
    /// [`super::read_plan::TARGETED_EVERY_NS`] and that their latest check still finds wrong.
    pub fn retry_deferred(&mut self, now_ns: u64) {
        if !self.plan.has_deferred() {
            return;
        }
        let ledger = &self.ledger;
        let due = self
            .plan
            .due(now_ns, |pid| match ledger.process(pid)?.verdict? {
                Verdict::Mismatch(m) => Some(m),
                _ => None,
            });
        for need in due {
            self.ask(need, now_ns);
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

    /// Asks for this second's drift checks: the round robin's next processes.
    fn schedule_resyncs(&mut self) {
        let pids: Vec<u32> = self.ledger.processes().map(|p| p.tgid).collect();
        let n = self.opts.resyncs_per_second as usize;
        for pid in self.plan.next_periodic(pids, n) {
            self.ledger.expect_snapshot(pid);
            self.reads.request(pid, ReadReason::Periodic);
        }
    }

    /// A new drift-check rate (from a configuration reload).
    pub fn set_resync_rate(&mut self, per_second: u32) {
        self.reads.set_rate(per_second);
        self.opts.resyncs_per_second = per_second;
        self.status.resyncs_per_second = per_second;
        self.dirty = true;
    }

    /// Folds in what the `/proc` side sent back: one process's maps, or a sweep.
    fn fold(&mut self, r: FromProc) {
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

    /// One process's maps (bootstrap, exec, a targeted or periodic resync), or why they
    /// could not be read.
    fn fold_read(&mut self, r: Resynced) {
        self.bootstrapped(r.tgid);
        let read = match r.result {
            Ok(read) => read,
            Err(ReadError::Gone(pid)) => {
                self.ledger.forget(pid);
                return;
            }
            Err(e) => {
                self.status.unreadable += 1;
                log::debug!("{e}");
                return;
            }
        };
        self.status.malformed_lines += read.malformed as u64;
        if read.kernel_thread {
            self.ledger.forget(r.tgid);
        } else if self.ledger.process(r.tgid).is_some() {
            self.reconcile(r.tgid, read.snapshot, r.reason);
        } else if !self.exited.contains(&r.tgid) {
            let comm = Comm::from_bytes(read.comm.as_bytes());
            self.ledger.insert_snapshot(r.tgid, comm, read.snapshot);
        }
        self.ledger
            .set_identity(r.tgid, read.unit.as_deref(), read.uid);
    }

    /// Notes that `tgid`'s first read came, if the bootstrap waited for it.
    fn bootstrapped(&mut self, tgid: u32) {
        if !self.bootstrap.remove(&tgid) {
            return;
        }
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

    /// Takes a tracked process's read (for `reason`) into its ledger, or asks again when it
    /// was torn.
    fn reconcile(&mut self, tgid: u32, snap: crate::ledger::MapsRead, reason: ReadReason) {
        let accept_torn = self.plan.torn_tries(tgid) >= MAX_TORN_TRIES;
        match self.ledger.reconcile(tgid, snap, (accept_torn, reason)) {
            // A drift check of a process busy changing its mappings: its records' figures
            // check it all the while; the next round reads it again.
            Reconciled::Torn if self.drift_check_only(tgid, reason) => {
                self.plan.settled(tgid);
                self.ledger.cancel_snapshot(tgid);
            }
            Reconciled::Torn => {
                self.plan.torn(tgid);
                self.ledger.expect_snapshot(tgid);
                self.reads.request(tgid, reason);
            }
            // Stale: taken before an exec, which asked for a newer read itself.
            Reconciled::Taken | Reconciled::Stale | Reconciled::Untracked => {
                self.plan.settled(tgid);
            }
        }
    }

    /// Whether a read of `tgid` was only the round robin's drift check, of a process no
    /// check has found wrong since (a read a check asked for would take the calls logged
    /// meanwhile).
    fn drift_check_only(&self, tgid: u32, reason: ReadReason) -> bool {
        reason == ReadReason::Periodic
            && self
                .ledger
                .process(tgid)
                .is_none_or(|p| !matches!(p.verdict, Some(Verdict::Mismatch(_))))
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
            let mut follow_up = self.ledger.swept(s);
            if follow_up.need.is_none() && follow_up.verdict == Some(Verdict::Unchecked) {
                let long_ns = self.opts.sweep_interval.as_nanos() as u64;
                follow_up.need = self.ledger.long_call_need(s, long_ns);
            }
            self.follow(follow_up, s.ts_ns);
        }
        let missing: Vec<u32> = self
            .ledger
            .processes()
            .filter(|p| p.since_ns < started_ns && !seen.contains(&p.tgid))
            .map(|p| p.tgid)
            .collect();
        for tgid in missing {
            self.follow(FollowUp::read(tgid, ReadReason::Unknown), started_ns);
        }
    }
}
