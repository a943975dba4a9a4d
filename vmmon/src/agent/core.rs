//! The one task that owns the ledger. It applies events in ring order, hands `/proc` reads
//! to the resync thread, folds their results back in, and answers queries from the API. No
//! lock is shared, and nothing on the event path waits on `/proc`.

use super::recent::{EventsView, RECENT_EVENTS, Recent};
use super::resync::{Priority, Resynced, Resyncer};
use super::view::{ProcessView, RegionView, process_view, region_view};
use crate::bpf::{KernelCounters, Pipeline};
use crate::event::{Comm, Kind, decode};
use crate::ledger::{Counters, Ledger, Reconciled, page_up};
use crate::metrics::{MachineTotals, MetricsInput, MetricsOptions, ProcessFigures, render};
use crate::stats::Growth;

/// How many times a process's read is retried because it changed its mappings meanwhile,
/// before one is taken as it is.
const MAX_TORN_TRIES: u32 = 8;
use crate::procfs::{ReadError, list_pids};
use std::collections::HashSet;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A question for the ledger's owner.
pub enum Query {
    Processes(oneshot::Sender<Vec<ProcessView>>),
    Process(u32, oneshot::Sender<Option<ProcessView>>),
    Maps(u32, oneshot::Sender<Option<Vec<RegionView>>>),
    /// A process's recent events after a sequence number (0: all kept), at most a limit.
    Events {
        pid: u32,
        since: u64,
        limit: usize,
        tx: oneshot::Sender<EventsView>,
    },
    Status(oneshot::Sender<Status>),
    /// A new drift-check rate from a configuration reload.
    SetResyncRate(u32),
    /// The Prometheus exposition text.
    Metrics(oneshot::Sender<String>),
    /// Whether the owner is alive and answering.
    Health(oneshot::Sender<()>),
}

/// The agent's own accounting (`GET /api/v1/status`).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Status {
    pub events_received: u64,
    pub decode_errors: u64,
    pub kernel: KernelCounters,
    pub processes: usize,
    pub ledger: Counters,
    /// Processes still waiting for their first read at start-up.
    pub bootstrap_pending: usize,
    /// How long the start-up read of every process took, once done.
    pub bootstrap_ms: Option<u64>,
    /// `/proc` maps lines that did not parse (skipped).
    pub malformed_lines: u64,
    /// Processes whose maps could not be read (permission, I/O).
    pub unreadable: u64,
    /// The window of each process's `growth_bytes`.
    pub growth_window_seconds: u64,
}

/// How the owner runs.
#[derive(Clone, Debug)]
pub struct CoreOptions {
    /// Processes checked against `/proc` each second for drift (round robin); 0 turns the
    /// periodic check off (tests use that to see what the event stream alone achieves).
    pub resyncs_per_second: u32,
    /// What `/metrics` exposes.
    pub metrics: MetricsOptions,
    /// The window of the growth figures, in seconds.
    pub growth_window_s: u64,
    /// eBPF programs attached (for the health metrics).
    pub programs_attached: u64,
}

impl Default for CoreOptions {
    fn default() -> Self {
        Self {
            resyncs_per_second: 20,
            metrics: MetricsOptions::default(),
            growth_window_s: 60,
            programs_attached: 0,
        }
    }
}

/// The ledger's owner.
pub struct Core {
    ledger: Ledger,
    resyncer: Resyncer,
    results: mpsc::UnboundedReceiver<Resynced>,
    held: Vec<Resynced>,
    status: Status,
    bootstrap: HashSet<u32>,
    bootstrap_started: Instant,
    exited: HashSet<u32>,
    /// Processes tracked at the last memory trim.
    trimmed_at: usize,
    growth: Growth,
    recent: Recent,
    totals: MachineTotals,
    started: Instant,
    /// Reads refused as torn, per pid, to give up after a few and accept one.
    torn: std::collections::HashMap<u32, u32>,
    cursor: u32,
    opts: CoreOptions,
}

impl Core {
    /// Starts the resync thread and asks it to read every process now running.
    pub fn start(opts: CoreOptions) -> std::io::Result<Self> {
        let (tx, results) = mpsc::unbounded_channel();
        let resyncer = Resyncer::spawn(tx, opts.resyncs_per_second)?;
        // Not the agent itself: the kernel side skips its events, so its ledger would go stale.
        let me = std::process::id();
        let bootstrap: HashSet<u32> = list_pids()?.into_iter().filter(|&p| p != me).collect();
        for &pid in &bootstrap {
            resyncer.request(pid, Priority::Urgent);
        }
        Ok(Self {
            ledger: Ledger::new(),
            resyncer,
            results,
            held: Vec::new(),
            status: Status {
                bootstrap_pending: bootstrap.len(),
                ..Status::default()
            },
            bootstrap,
            bootstrap_started: Instant::now(),
            exited: HashSet::new(),
            torn: std::collections::HashMap::new(),
            trimmed_at: 0,
            growth: Growth::new(opts.growth_window_s),
            recent: Recent::new(RECENT_EVENTS),
            totals: MachineTotals::default(),
            started: Instant::now(),
            cursor: 0,
            opts,
        })
    }

    /// The ledger (for tests and in-process views).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Runs until `shutdown` resolves: drains the ring, applies, resyncs, answers queries.
    pub async fn run(
        &mut self,
        pipeline: &mut Pipeline,
        queries: &mut mpsc::Receiver<Query>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tokio::pin!(shutdown);
        loop {
            let reader = pipeline.reader().expect("vmmon's object has a reader");
            tokio::select! {
                _ = reader.wait() => self.drain(pipeline),
                Some(r) = self.results.recv() => self.held.push(r),
                Some(q) = queries.recv() => self.answer(q, pipeline),
                _ = tick.tick() => self.schedule_resyncs(),
                _ = &mut shutdown => break,
            }
        }
    }

    /// Applies every record in the ring, then the `/proc` reads that arrived before it: a
    /// read is folded in only after a drain that began after the read, so every event
    /// stamped before the read has been applied.
    pub fn drain(&mut self, pipeline: &mut Pipeline) {
        let held = std::mem::take(&mut self.held);
        let reader = pipeline.reader().expect("reader");
        let mut needs = Vec::new();
        let ledger = &mut self.ledger;
        let status = &mut self.status;
        let exited = &mut self.exited;
        let totals = &mut self.totals;
        let recent = &mut self.recent;
        reader.drain(|raw| {
            status.events_received += 1;
            match decode(raw) {
                Ok(e) => {
                    count_syscall(totals, &e.kind);
                    recent.push(&e);
                    if e.kind == (Kind::Exit { group_dead: true }) {
                        exited.insert(e.tgid);
                    }
                    if let Some(need) = ledger.apply(&e) {
                        needs.push(need);
                    }
                }
                Err(err) => {
                    status.decode_errors += 1;
                    log::debug!("undecodable record: {err}");
                }
            }
        });
        for need in needs {
            log::trace!("reading pid {} ({:?})", need.tgid, need.reason);
            self.resyncer.request(need.tgid, Priority::Urgent);
        }
        for r in held {
            self.fold(r);
        }
        self.status.kernel = reader.counters();
    }

    fn fold(&mut self, r: Resynced) {
        if self.bootstrap.remove(&r.tgid) {
            self.status.bootstrap_pending = self.bootstrap.len();
            if self.bootstrap.is_empty() {
                let ms = self.bootstrap_started.elapsed().as_millis() as u64;
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
                            self.resyncer.request(r.tgid, r.priority);
                        }
                        _ => {
                            self.torn.remove(&r.tgid);
                        }
                    }
                } else if !self.exited.contains(&r.tgid) {
                    self.ledger.insert_snapshot(
                        r.tgid,
                        Comm::from_bytes(read.comm.as_bytes()),
                        read.snapshot,
                    );
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

    /// Takes in the `/proc` reads that have arrived, then drains the ring (what `run` does on
    /// each wakeup, for callers that drive the owner themselves).
    pub fn pump(&mut self, pipeline: &mut Pipeline) {
        while let Ok(r) = self.results.try_recv() {
            self.held.push(r);
        }
        self.drain(pipeline);
    }

    fn metrics(&self, pipeline: &mut Pipeline) -> String {
        let processes = self
            .ledger
            .processes()
            .filter_map(|p| {
                let view = self.view(p.tgid)?;
                Some(ProcessFigures {
                    growth_bytes: view.growth_bytes,
                    growth_rate: self.growth.per_second(p.tgid),
                    view,
                })
            })
            .collect();
        let mut machine = self.totals.clone();
        machine.events_received = self.status.events_received;
        machine.decode_errors = self.status.decode_errors;
        machine.kernel = pipeline.reader().map(|r| r.counters()).unwrap_or_default();
        machine.ledger = self.ledger.counters().clone();
        machine.programs_attached = self.opts.programs_attached;
        machine.growth_window_s = self.opts.growth_window_s;
        let (cpu, rss) = own_usage();
        machine.cpu_seconds = cpu;
        machine.resident_bytes = rss;
        render(&MetricsInput { processes, machine }, self.opts.metrics)
    }

    /// Gives memory back to the system after many processes left: the allocator keeps
    /// freed memory otherwise, and the agent would look like it leaks.
    fn trim_memory(&mut self) {
        let now = self.ledger.processes().count();
        if now + 1000 < self.trimmed_at {
            self.ledger.shrink();
            // SAFETY: malloc_trim only returns free heap memory to the kernel.
            unsafe { libc::malloc_trim(0) };
            self.trimmed_at = now;
        } else {
            self.trimmed_at = self.trimmed_at.max(now);
        }
    }

    /// Queues the next few processes for a drift check, round robin by pid; samples growth.
    fn schedule_resyncs(&mut self) {
        self.exited.clear();
        self.trim_memory();
        let now_s = self.started.elapsed().as_secs();
        let sizes: Vec<(u32, u64)> = self
            .ledger
            .processes()
            .filter(|p| self.ledger.is_filled(p.tgid))
            .filter_map(|p| Some((p.tgid, self.ledger.space(p.tgid)?.totals().virtual_bytes)))
            .collect();
        self.growth.record(now_s, sizes);
        if self.opts.resyncs_per_second == 0 {
            return;
        }
        let mut pids: Vec<u32> = self.ledger.processes().map(|p| p.tgid).collect();
        pids.sort_unstable();
        let start = pids.partition_point(|&p| p <= self.cursor);
        let n = (self.opts.resyncs_per_second as usize).min(pids.len());
        for i in 0..n {
            let pid = pids[(start + i) % pids.len()];
            self.ledger.expect_snapshot(pid);
            self.resyncer.request(pid, Priority::Periodic);
            self.cursor = pid;
        }
    }

    /// A process's view with its growth figures.
    fn view(&self, pid: u32) -> Option<ProcessView> {
        if !self.ledger.is_filled(pid) {
            return None;
        }
        let mut v = process_view(self.ledger.process(pid)?, self.ledger.space(pid)?);
        v.growth_bytes_per_second = self.growth.per_second(pid).round() as i64;
        v.growth_bytes = self.growth.over_window(pid);
        Some(v)
    }

    fn answer(&mut self, q: Query, pipeline: &mut Pipeline) {
        match q {
            Query::Processes(tx) => {
                // A process whose address space is still being read is not shown: half a
                // picture would be a wrong one.
                let mut out: Vec<ProcessView> = self
                    .ledger
                    .processes()
                    .filter_map(|p| self.view(p.tgid))
                    .collect();
                out.sort_by_key(|p| p.pid);
                let _ = tx.send(out);
            }
            Query::Process(pid, tx) => {
                let _ = tx.send(self.view(pid));
            }
            Query::Maps(pid, tx) => {
                let _ = tx.send(
                    self.ledger
                        .space(pid)
                        .filter(|_| self.ledger.is_filled(pid))
                        .map(|s| s.regions().map(region_view).collect()),
                );
            }
            Query::Events {
                pid,
                since,
                limit,
                tx,
            } => {
                let _ = tx.send(self.recent.of(pid, since, limit));
            }
            Query::SetResyncRate(n) => {
                self.resyncer.set_rate(n);
                self.opts.resyncs_per_second = n;
            }
            Query::Health(tx) => {
                let _ = tx.send(());
            }
            Query::Metrics(tx) => {
                let _ = tx.send(self.metrics(pipeline));
            }
            Query::Status(tx) => {
                let mut s = self.status.clone();
                if let Some(reader) = pipeline.reader() {
                    s.kernel = reader.counters();
                }
                s.processes = self.ledger.processes().count();
                s.ledger = self.ledger.counters().clone();
                s.growth_window_seconds = self.opts.growth_window_s;
                let _ = tx.send(s);
            }
        }
    }
}

/// Counts a syscall event in the machine totals.
fn count_syscall(totals: &mut MachineTotals, kind: &Kind) {
    if kind.syscall().is_none() {
        return;
    }
    let name = kind.name();
    let result = if kind.errno().is_some() {
        "error"
    } else {
        "ok"
    };
    *totals.syscalls.entry((name, result)).or_default() += 1;
    if kind.errno().is_some() {
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

/// The agent's own CPU seconds (getrusage) and resident bytes (`/proc/self/statm`, which
/// reads counters without taking the mmap lock).
fn own_usage() -> (f64, u64) {
    // SAFETY: `usage` is a valid out-pointer.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
    let rss_pages: u64 = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    (cpu, rss_pages * crate::ledger::PAGE)
}
