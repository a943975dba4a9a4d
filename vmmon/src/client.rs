//! The client of the agent's JSON API (I/O: blocking HTTP), for `vmmon maps` and `vmmon top`.

use crate::symbolize::ProcessSites;
use crate::view::{EventsView, ExitView, ProcessView, RegionView, Status};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Why the agent could not answer a question.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no vmmon agent answers at {addr} ({reason})")]
    NoAnswer { addr: String, reason: String },
    #[error("{addr} answers, but not as a vmmon agent ({reason})")]
    NotVmmon { addr: String, reason: String },
    /// The agent has no such process; its own words.
    #[error("{0}")]
    NotFound(String),
    /// The agent cannot answer yet (it is still reading `/proc` at start-up); its own words.
    #[error("the agent at {addr} says: {message}")]
    NotReady { addr: String, message: String },
    /// The agent refused the question; its own words.
    #[error("the agent at {addr} says: {message}")]
    Refused { addr: String, message: String },
}

/// The agent at one address.
pub struct Client {
    addr: String,
    http: ureq::Agent,
}

impl Client {
    /// A client of the agent at `addr` (`HOST:PORT`); each question waits at most `timeout`.
    pub fn new(addr: &str, timeout: Duration) -> Self {
        Self {
            addr: addr.to_string(),
            http: ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .http_status_as_error(false)
                .build()
                .into(),
        }
    }

    /// The address asked.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let mut resp = self
            .http
            .get(format!("http://{}{path}", self.addr))
            .call()
            .map_err(|e| ClientError::NoAnswer {
                addr: self.addr.clone(),
                reason: e.to_string(),
            })?;
        let status = resp.status();
        if !status.is_success() {
            let body: serde_json::Value = resp.body_mut().read_json().unwrap_or_default();
            let Some(message) = body["error"].as_str().map(str::to_string) else {
                return Err(ClientError::NotVmmon {
                    addr: self.addr.clone(),
                    reason: format!("HTTP {status}"),
                });
            };
            return Err(if status == 404 {
                ClientError::NotFound(message)
            } else if status == 503 {
                ClientError::NotReady {
                    addr: self.addr.clone(),
                    message,
                }
            } else {
                ClientError::Refused {
                    addr: self.addr.clone(),
                    message,
                }
            });
        }
        resp.body_mut()
            .read_json()
            .map_err(|e| ClientError::NotVmmon {
                addr: self.addr.clone(),
                reason: e.to_string(),
            })
    }

    /// The agent's accounting; also the check that a vmmon agent answers at all.
    pub fn status(&self) -> Result<Status, ClientError> {
        self.get("/api/v1/status")
    }

    /// Every process whose maps the agent knows.
    pub fn processes(&self) -> Result<Vec<ProcessView>, ClientError> {
        self.get("/api/v1/processes")
    }

    /// One process.
    pub fn process(&self, pid: u32) -> Result<ProcessView, ClientError> {
        self.get(&format!("/api/v1/processes/{pid}"))
    }

    /// A process's regions in address order.
    pub fn maps(&self, pid: u32) -> Result<Vec<RegionView>, ClientError> {
        self.get(&format!("/api/v1/processes/{pid}/maps"))
    }

    /// What each call site of a process holds, named, most first (at most `limit` sites).
    pub fn sites(&self, pid: u32, limit: usize) -> Result<ProcessSites, ClientError> {
        self.get(&format!("/api/v1/processes/{pid}/sites?limit={limit}"))
    }

    /// A process's events after `since`, at most `limit` of the newest.
    pub fn events(&self, pid: u32, since: u64, limit: usize) -> Result<EventsView, ClientError> {
        self.get(&format!(
            "/api/v1/processes/{pid}/events?since={since}&limit={limit}"
        ))
    }

    /// The most recent exits, newest first, at most `limit`.
    pub fn exits(&self, limit: usize) -> Result<Vec<ExitView>, ClientError> {
        self.get(&format!("/api/v1/exits?limit={limit}"))
    }
}
