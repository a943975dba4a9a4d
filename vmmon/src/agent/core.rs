//! The ledger's owner as a state machine: it applies events in ring order, holds the ledger
//! to the kernel's figures they carry, asks for `/proc` reads and sweeps and folds their
//! results back in (`fold.rs`; what it asks for, and when, is in `asks.rs`), samples growth,
//! keeps recent exits, and publishes snapshots.
//! It does no I/O of its own: events come from an [`EventSource`], reads and sweeps go out
//! through [`Reads`] and come back through [`Core::hold`], and time comes in as arguments (but
//! for the bootstrap's duration, timed from the core's creation).

use super::publish::Publisher;
use super::reads::{FromProc, Priority, Reads};
use crate::event::{DecodeError, Event};
use crate::ledger::SiteTable;
use crate::ledger::{Applied, Exited, Ledger};
use crate::source::EventSource;
use crate::stats::Growth;
use crate::view::{
    EventLog, ExitSites, ExitView, MachineTotals, PublishedTally, RECENT_EVENTS, Recent, Snapshot,
    Status, Tally, TallyOptions,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Memory freed is given back to the system at least this often (ticks, seconds).
const TRIM_EVERY_TICKS: u32 = 10;

/// How many times a process's read is retried because it changed its mappings meanwhile,
/// before one is taken as it is.
pub const MAX_TORN_TRIES: u32 = 32;

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
    pub(super) ledger: Ledger,
    pub(super) reads: Box<dyn Reads>,
    /// Reads and sweeps that arrived, waiting for a drain to begin after them.
    held: Vec<FromProc>,
    pub(super) status: Status,
    /// Processes still waiting for their first read at start-up.
    pub(super) bootstrap: HashSet<u32>,
    pub(super) started: Instant,
    /// Processes whose exit was seen this second: a late read of them must not bring them
    /// back.
    pub(super) exited: HashSet<u32>,
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
    /// Reads refused as torn, per pid, to give up after a few and accept one.
    pub(super) torn: HashMap<u32, u32>,
    /// When each process was last read because a check found it wrong (event ns).
    pub(super) targeted: HashMap<u32, u64>,
    /// Processes found wrong again soon after their last such read (`asks.rs`).
    pub(super) deferred: HashSet<u32>,
    /// The pid the round robin of periodic resyncs reached.
    pub(super) cursor: u32,
    /// When the last sweep started, on the loop's clock.
    pub(super) last_sweep: Option<Duration>,
    pub(super) opts: CoreOptions,
    publisher: Publisher,
    /// Something changed since the last snapshot.
    pub(super) dirty: bool,
    /// Every call site's frames, by id.
    pub(super) sites: SiteTable,
    /// Call sites known at the last pruning of those no region holds any more.
    pub(super) sites_pruned_at: usize,
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
            torn: HashMap::new(),
            targeted: HashMap::new(),
            deferred: HashSet::new(),
            cursor: 0,
            last_sweep: None,
            opts,
            publisher: Publisher::default(),
            dirty: true,
            sites: SiteTable::new(),
            sites_pruned_at: 0,
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
        self.note_site(&e);
        let applied = self.ledger.apply(&e);
        self.follow(applied, e.ts_ns);
        batch.push(e);
    }

    /// Does what applying an event, a read or a sweep asked for: a read, or a footprint.
    pub(super) fn follow(&mut self, applied: Applied, ts_ns: u64) {
        if let Some(need) = applied.need {
            self.ask(need, ts_ns);
        }
        if let Some(x) = applied.exited {
            self.keep_exit(x);
        }
    }

    fn keep_exit(&mut self, mut x: Exited) {
        let mut view = ExitView::from(&x);
        let regions = x.regions.take();
        view.held = ExitSites::keep(
            std::mem::take(&mut x.sites),
            x.refused.as_deref(),
            &self.sites,
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
        self.targeted
            .retain(|pid, _| self.ledger.process(*pid).is_some());
        self.deferred
            .retain(|pid| self.ledger.process(*pid).is_some());
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
        self.prune_sites();
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
            sites: self.sites.clone(),
            published_s: now_s,
        })
    }
}
