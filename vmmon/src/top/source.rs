//! Where `vmmon top` gets its data: the running agent's API, or the snapshots of a ledger
//! owner run in this process (the command starts one when no agent answers). Both give the
//! same [`Sample`]s.

use super::table::Sample;
use crate::client::{Client, ClientError};
use crate::symbolize::{ProcessSites, Symbols};
use crate::view::{EventsView, ExitView, RegionView, Snapshot};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::watch;

/// Events asked for per refresh of the detail view.
const EVENTS_PER_FETCH: usize = 200;
/// Call sites fetched for the detail view.
const SITES_PER_FETCH: usize = 8;

/// Exits asked for per refresh of the exits view.
pub const EXITS_PER_FETCH: usize = 500;

/// Seconds on a monotonic clock, for sample times.
pub fn now_s() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Why a sample could not be taken (shown in the header, in one short line: the title bar
/// already names the agent).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{}", short(.0))]
    Agent(#[from] ClientError),
    #[error("the in-process ledger stopped")]
    Stopped,
}

fn short(e: &ClientError) -> String {
    match e {
        ClientError::NoAnswer { reason, .. } => reason.clone(),
        ClientError::NotVmmon { reason, .. } => format!("not a vmmon agent: {reason}"),
        e => e.to_string(),
    }
}

/// A source of samples.
pub trait Source {
    /// What the title bar says: `agent 127.0.0.1:9464` or `in-process`.
    fn label(&self) -> String;
    fn sample(&mut self) -> Result<Sample, SourceError>;
    /// `None`: the process is not in the ledger.
    fn maps(&mut self, pid: u32) -> Result<Option<Vec<RegionView>>, SourceError>;
    /// A process's call sites, named, most bytes first; `None` when it is gone.
    fn sites(&mut self, pid: u32) -> Result<Option<ProcessSites>, SourceError>;
    fn events(&mut self, pid: u32, since: u64) -> Result<EventsView, SourceError>;
    /// The most recent exits, newest first.
    fn exits(&mut self) -> Result<Vec<ExitView>, SourceError>;
}

/// The running agent, over its API.
pub struct AgentSource {
    client: Client,
}

impl AgentSource {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl Source for AgentSource {
    fn label(&self) -> String {
        format!("agent {}", self.client.addr())
    }

    fn sample(&mut self) -> Result<Sample, SourceError> {
        let at = now_s();
        Ok(Sample {
            at,
            processes: self.client.processes()?,
            status: self.client.status()?,
        })
    }

    fn maps(&mut self, pid: u32) -> Result<Option<Vec<RegionView>>, SourceError> {
        match self.client.maps(pid) {
            Ok(r) => Ok(Some(r)),
            Err(ClientError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn sites(&mut self, pid: u32) -> Result<Option<ProcessSites>, SourceError> {
        match self.client.sites(pid, SITES_PER_FETCH) {
            Ok(s) => Ok(Some(s)),
            Err(ClientError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn events(&mut self, pid: u32, since: u64) -> Result<EventsView, SourceError> {
        match self.client.events(pid, since, EVENTS_PER_FETCH) {
            Err(ClientError::NotFound(_)) => Ok(EventsView::default()),
            r => Ok(r?),
        }
    }

    fn exits(&mut self) -> Result<Vec<ExitView>, SourceError> {
        Ok(self.client.exits(EXITS_PER_FETCH)?)
    }
}

/// The snapshots a ledger owner in this process publishes.
pub struct SnapshotSource {
    snapshots: watch::Receiver<Arc<Snapshot>>,
    symbols: Symbols,
    /// Keeps the owner running for as long as the source lives.
    _owner: Box<dyn Send>,
}

impl SnapshotSource {
    /// Reads `snapshots`; `owner` is kept alive with the source.
    pub fn new(snapshots: watch::Receiver<Arc<Snapshot>>, owner: Box<dyn Send>) -> Self {
        Self {
            snapshots,
            symbols: Symbols::new(),
            _owner: owner,
        }
    }

    fn latest(&self) -> Result<Arc<Snapshot>, SourceError> {
        // A closed channel: the owner's thread is gone.
        self.snapshots
            .has_changed()
            .map_err(|_| SourceError::Stopped)?;
        Ok(self.snapshots.borrow().clone())
    }
}

impl Source for SnapshotSource {
    fn label(&self) -> String {
        "in-process (no agent)".into()
    }

    fn sample(&mut self) -> Result<Sample, SourceError> {
        let at = now_s();
        let s = self.latest()?;
        Ok(Sample {
            at,
            processes: s.process_views(),
            status: s.status.clone(),
        })
    }

    fn maps(&mut self, pid: u32) -> Result<Option<Vec<RegionView>>, SourceError> {
        Ok(self.latest()?.maps(pid))
    }

    fn sites(&mut self, pid: u32) -> Result<Option<ProcessSites>, SourceError> {
        let snapshot = self.latest()?;
        Ok(self.symbols.process_sites(&snapshot, pid, SITES_PER_FETCH))
    }

    fn events(&mut self, pid: u32, since: u64) -> Result<EventsView, SourceError> {
        Ok(self.latest()?.events(pid, since, EVENTS_PER_FETCH))
    }

    fn exits(&mut self) -> Result<Vec<ExitView>, SourceError> {
        Ok(self.latest()?.recent_exits(EXITS_PER_FETCH))
    }
}
