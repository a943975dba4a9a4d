//! The client of the agent's JSON API (I/O: blocking HTTP over the agent's Unix socket, or
//! TCP), for `vmmon maps`, `vmmon top` and the tests. HTTP/1.1 by hyper, on a runtime of its
//! own, so that callers stay plain blocking code.

use crate::symbolize::ProcessSites;
use crate::view::{EventsView, ExitView, ProcessView, RegionView, Status};
use http_body_util::BodyExt as _;
use hyper::body::Bytes;
use serde::de::DeserializeOwned;
use std::path::PathBuf;
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
    /// The process's details are not the asker's to see; the agent's own words.
    #[error("{message}")]
    Forbidden { addr: String, message: String },
    /// The agent refused the question; its own words.
    #[error("the agent at {addr} says: {message}")]
    Refused { addr: String, message: String },
}

/// Where the agent is: its API's Unix socket, or `HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Socket(PathBuf),
    Tcp(String),
}

impl Endpoint {
    /// A path (anything with a `/`) is a socket; anything else `HOST:PORT`.
    pub fn parse(s: &str) -> Self {
        if s.contains('/') {
            Endpoint::Socket(PathBuf::from(s))
        } else {
            Endpoint::Tcp(s.to_string())
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Socket(p) => write!(f, "{}", p.display()),
            Endpoint::Tcp(a) => f.write_str(a),
        }
    }
}

/// The agent at one endpoint.
pub struct Client {
    endpoint: Endpoint,
    addr: String,
    timeout: Duration,
    /// Sent as `Authorization: Bearer` (a TCP door with a token).
    token: Option<String>,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client of the agent at `addr` (a socket path, or `HOST:PORT`); each question waits
    /// at most `timeout`.
    pub fn new(addr: &str, timeout: Duration) -> Self {
        let endpoint = Endpoint::parse(addr);
        Self {
            addr: endpoint.to_string(),
            endpoint,
            timeout,
            token: None,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime builds"),
        }
    }

    /// Gives `token` as a bearer token with every question.
    pub fn with_token(mut self, token: Option<String>) -> Self {
        self.token = token;
        self
    }

    /// The address asked.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// `GET path`: the status code and the body, or why there was no answer.
    pub fn get_raw(&self, path: &str) -> Result<(u16, Bytes), ClientError> {
        let asked = fetch(&self.endpoint, path, self.token.as_deref());
        let answer = self
            .runtime
            .block_on(async { tokio::time::timeout(self.timeout, asked).await });
        let no_answer = |reason: String| ClientError::NoAnswer {
            addr: self.addr.clone(),
            reason,
        };
        match answer {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(reason)) => Err(no_answer(reason)),
            Err(_) => Err(no_answer(format!(
                "no answer within {:.1} s",
                self.timeout.as_secs_f64()
            ))),
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let (status, body) = self.get_raw(path)?;
        if !(200..300).contains(&status) {
            return Err(self.refusal(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| ClientError::NotVmmon {
            addr: self.addr.clone(),
            reason: e.to_string(),
        })
    }

    /// The error for an answer with `status`: the agent's own words when it gave them.
    fn refusal(&self, status: u16, body: &[u8]) -> ClientError {
        let body: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let Some(message) = body["error"].as_str().map(str::to_string) else {
            return ClientError::NotVmmon {
                addr: self.addr.clone(),
                reason: format!("HTTP {status}"),
            };
        };
        let addr = self.addr.clone();
        match status {
            404 => ClientError::NotFound(message),
            503 => ClientError::NotReady { addr, message },
            403 => ClientError::Forbidden { addr, message },
            _ => ClientError::Refused { addr, message },
        }
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

    /// An answer as bytes (a profile, a flame graph), or the agent's refusal.
    pub fn get_bytes(&self, path: &str) -> Result<Bytes, ClientError> {
        let (status, body) = self.get_raw(path)?;
        if !(200..300).contains(&status) {
            return Err(self.refusal(status, &body));
        }
        Ok(body)
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

/// One `GET` on a connection of its own.
async fn fetch(
    endpoint: &Endpoint,
    path: &str,
    token: Option<&str>,
) -> Result<(u16, Bytes), String> {
    let mut request = hyper::Request::get(path).header(hyper::header::HOST, "localhost");
    if let Some(token) = token {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request
        .body(http_body_util::Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    match endpoint {
        Endpoint::Socket(p) => {
            let io = tokio::net::UnixStream::connect(p)
                .await
                .map_err(|e| e.to_string())?;
            send(io, request).await
        }
        Endpoint::Tcp(a) => {
            let io = tokio::net::TcpStream::connect(a)
                .await
                .map_err(|e| e.to_string())?;
            send(io, request).await
        }
    }
}

async fn send<I>(
    io: I,
    request: hyper::Request<http_body_util::Empty<Bytes>>,
) -> Result<(u16, Bytes), String>
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}
