//! The agent's two doors (I/O): the JSON API on a Unix socket, answered per peer from its
//! credentials, and `agent.listen` on TCP for `/metrics`, `/healthz` and `/livez` (and the
//! API with `api.tcp` and credentials). One serve loop of our own (hyper) for both, bounded
//! against hostile clients: a time limit on a request's headers and on each request, a bound
//! on connections (in all and per local user), and a shutdown that ends within
//! [`GRACE`] whatever the clients do.

mod connection;
mod credentials;
mod socket;
mod tcp_gate;
pub mod web_config;

pub use credentials::{Credentials, CredentialsError};
pub use socket::{SocketError, bind_socket, remove_socket};

use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long a client may take to send a request's headers (and how long an idle
/// keep-alive connection stays open).
pub const HEADER_LIMIT: Duration = Duration::from_secs(10);
/// How long one request may take to be answered.
pub const REQUEST_LIMIT: Duration = Duration::from_secs(30);
/// How long a connection may stay open in all (then it is closed between requests).
pub const CONNECTION_LIMIT: Duration = Duration::from_secs(120);
/// How long connections get to finish once the agent stops.
pub const GRACE: Duration = Duration::from_secs(2);
/// Connections open at once through each door (a flood of local clients on the socket
/// leaves `/healthz` on TCP answering); past it a client gets a 503 at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Clients past the bound being answered 503 at once, per door; past it they are closed
/// without a word.
pub const MAX_REFUSING: usize = 32;
/// Connections one local user (but root) may hold open on the socket.
pub const MAX_PER_USER: usize = 32;

/// The credentials in force, replaced on reload.
pub type SharedCredentials = Arc<RwLock<Arc<Credentials>>>;

/// What both serve loops share.
#[derive(Clone)]
pub struct Shared {
    /// The routes of the API and of `/metrics`, `/healthz`, `/livez`.
    pub app: axum::Router,
    pub credentials: SharedCredentials,
    /// Whether TCP serves `/api/v1` (with credentials).
    pub api_tcp: bool,
    /// Named in the answer a TCP client gets for `/api/v1` when TCP does not serve it.
    pub socket: String,
    /// The bound on connections, per door.
    pub unix_slots: Arc<tokio::sync::Semaphore>,
    pub tcp_slots: Arc<tokio::sync::Semaphore>,
    /// The bound on refusals in progress, both doors.
    pub refusing: Arc<tokio::sync::Semaphore>,
    /// Connections per local uid.
    pub per_user: Arc<std::sync::Mutex<std::collections::HashMap<u32, usize>>>,
}

impl Shared {
    pub fn new(app: axum::Router, credentials: Credentials, api_tcp: bool, socket: &str) -> Self {
        Self {
            app,
            credentials: Arc::new(RwLock::new(Arc::new(credentials))),
            api_tcp,
            socket: socket.to_string(),
            unix_slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS)),
            tcp_slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS)),
            refusing: Arc::new(tokio::sync::Semaphore::new(MAX_REFUSING)),
            per_user: Arc::default(),
        }
    }

    /// The credentials in force now.
    pub fn credentials(&self) -> Arc<Credentials> {
        Arc::clone(&self.credentials.read().expect("credentials lock"))
    }

    /// Puts `new` in force (a reload): connections from now on see it.
    pub fn replace_credentials(&self, new: Credentials) {
        *self.credentials.write().expect("credentials lock") = Arc::new(new);
    }
}

pub use connection::{serve_tcp, serve_unix};

/// Raises the soft limit on open files to the hard one (at most 65536): room for the
/// connection bound and the agent's own files (`/proc` reads, maps, programs).
pub fn raise_open_files() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid out-pointer, then the same struct back.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max.min(65_536).max(limit.rlim_cur);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
