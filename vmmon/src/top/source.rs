//! Where `vmmon top` gets its data: the running agent's local API, or the pipeline and ledger
//! run in this process when no agent answers. Both give the same [`Sample`]s.

use super::table::Sample;
use crate::agent::recent::EventsView;
use crate::agent::view::{ProcessView, RegionView};
use crate::agent::{Core, CoreOptions, Query, Status};
use crate::bpf::{LoadOptions, Pipeline};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Events asked for per refresh of the detail view.
const EVENTS_PER_FETCH: usize = 200;

/// Seconds on a monotonic clock, for sample times.
pub fn now_s() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// A source of samples. Errors are one short line, shown in the title bar.
pub trait Source {
    /// What the title bar says: `agent 127.0.0.1:9464` or `in-process`.
    fn label(&self) -> String;
    fn sample(&mut self) -> Result<Sample, String>;
    /// `None`: the process is not in the ledger.
    fn maps(&mut self, pid: u32) -> Result<Option<Vec<RegionView>>, String>;
    fn events(&mut self, pid: u32, since: u64) -> Result<EventsView, String>;
}

/// Why an agent could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("no vmmon agent answers at {0} ({1})")]
    NoAnswer(String, String),
    #[error("{0} answers, but not as a vmmon agent ({1})")]
    NotVmmon(String, String),
}

/// The running agent, over its local HTTP API.
pub struct AgentSource {
    addr: String,
    http: ureq::Agent,
}

impl AgentSource {
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_string(),
            http: ureq::Agent::config_builder()
                .timeout_global(Some(Duration::from_secs(2)))
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    /// Checks that a vmmon agent answers.
    pub fn probe(&self) -> Result<(), ProbeError> {
        let mut resp = self
            .http
            .get(format!("http://{}/api/v1/status", self.addr))
            .call()
            .map_err(|e| ProbeError::NoAnswer(self.addr.clone(), e.to_string()))?;
        if !resp.status().is_success() {
            return Err(ProbeError::NotVmmon(
                self.addr.clone(),
                format!("HTTP {}", resp.status()),
            ));
        }
        resp.body_mut()
            .read_json::<Status>()
            .map(|_| ())
            .map_err(|e| ProbeError::NotVmmon(self.addr.clone(), e.to_string()))
    }

    /// `Ok(None)` for a 404.
    fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<Option<T>, String> {
        let mut resp = self
            .http
            .get(format!("http://{}{path}", self.addr))
            .call()
            .map_err(|e| e.to_string())?;
        if resp.status() == 404 {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(format!("HTTP {}", resp.status()));
        }
        resp.body_mut()
            .read_json()
            .map(Some)
            .map_err(|e| format!("unreadable reply: {e}"))
    }
}

impl Source for AgentSource {
    fn label(&self) -> String {
        format!("agent {}", self.addr)
    }

    fn sample(&mut self) -> Result<Sample, String> {
        let at = now_s();
        let processes: Vec<ProcessView> = self
            .get("/api/v1/processes")?
            .ok_or("the agent has no process list")?;
        let status: Status = self
            .get("/api/v1/status")?
            .ok_or("the agent has no status")?;
        Ok(Sample {
            at,
            processes,
            status,
        })
    }

    fn maps(&mut self, pid: u32) -> Result<Option<Vec<RegionView>>, String> {
        self.get(&format!("/api/v1/processes/{pid}/maps"))
    }

    fn events(&mut self, pid: u32, since: u64) -> Result<EventsView, String> {
        Ok(self
            .get(&format!(
                "/api/v1/processes/{pid}/events?since={since}&limit={EVENTS_PER_FETCH}"
            ))?
            .unwrap_or_default())
    }
}

/// The pipeline and ledger on a thread of this process (what `vmmon agent` runs, without the
/// HTTP server), asked over the same queries the API uses.
pub struct InProcess {
    queries: mpsc::Sender<Query>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcess {
    /// Loads and attaches the programs and starts reading every process; fails as `vmmon
    /// agent` would (not privileged, no BTF, ...).
    pub fn start(load: LoadOptions, core: CoreOptions) -> anyhow::Result<Self> {
        let (queries, mut rx) = mpsc::channel(16);
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel::<anyhow::Result<()>>();
        let thread = std::thread::Builder::new()
            .name("vmmon-ledger".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let started = Pipeline::load(&load).map_err(anyhow::Error::from).and_then(
                        |mut pipeline| {
                            let opts = CoreOptions {
                                programs_attached: pipeline.programs_attached() as u64,
                                ..core
                            };
                            let core = Core::start(opts)?;
                            pipeline.reader().ok_or_else(|| {
                                anyhow::anyhow!("the eBPF object has no ring buffer")
                            })?;
                            Ok((pipeline, core))
                        },
                    );
                    let (mut pipeline, mut core) = match started {
                        Ok(x) => {
                            let _ = ready_tx.send(Ok(()));
                            x
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    core.run(&mut pipeline, &mut rx, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })?;
        match ready.recv() {
            Ok(Ok(())) => Ok(Self {
                queries,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                anyhow::bail!("the in-process ledger thread stopped while starting")
            }
        }
    }

    fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Query) -> Result<T, String> {
        let (tx, rx) = oneshot::channel();
        let gone = |_| "the in-process ledger stopped".to_string();
        self.queries
            .blocking_send(make(tx))
            .map_err(|e| gone(e.to_string()))?;
        rx.blocking_recv().map_err(|e| gone(e.to_string()))
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Source for InProcess {
    fn label(&self) -> String {
        "in-process (no agent)".into()
    }

    fn sample(&mut self) -> Result<Sample, String> {
        let at = now_s();
        let processes = self.ask(Query::Processes)?;
        let status = self.ask(Query::Status)?;
        Ok(Sample {
            at,
            processes,
            status,
        })
    }

    fn maps(&mut self, pid: u32) -> Result<Option<Vec<RegionView>>, String> {
        self.ask(|tx| Query::Maps(pid, tx))
    }

    fn events(&mut self, pid: u32, since: u64) -> Result<EventsView, String> {
        self.ask(|tx| Query::Events {
            pid,
            since,
            limit: EVENTS_PER_FETCH,
            tx,
        })
    }
}
