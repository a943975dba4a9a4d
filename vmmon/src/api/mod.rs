//! The HTTP API, routed by axum and served by [`crate::server`] (I/O). Every handler reads
//! the latest published [`Snapshot`]: none of them asks the ledger's owner anything, so none
//! can delay a drain, and `/metrics` is rendered on a blocking thread.
//!
//! Each request carries its [`Peer`], and each answer is what `/proc` would tell that peer
//! ([`crate::access`]): every process's numbers (unless `/proc` hides the process), and its
//! regions, events and call sites only to a peer that may read its `/proc/PID/maps`.

use crate::access::{Ids, Peer, ProcMount};
use crate::clock::monotonic_ns;
use crate::metrics::{OwnUsage, render};
use crate::procfs::own_cpu_and_rss;
use crate::symbolize::Symbols;
use crate::view::Snapshot;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use tokio::sync::watch;

mod sites;

/// A snapshot older than this means the owner stopped publishing (it publishes every second).
const STALE_AFTER_S: f64 = 5.0;

#[derive(Clone)]
struct Api {
    snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Names call sites (reads the mapped files: on the blocking pool).
    symbols: Arc<Symbols>,
}

impl Api {
    fn latest(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

fn bad_pid(pid: &str) -> Response {
    error(StatusCode::BAD_REQUEST, format!("{pid:?} is not a pid"))
}

/// Per-process questions before the start-up read of `/proc` is done: the process may
/// simply not have been read yet, and "not in the ledger" would be a wrong answer.
fn still_reading(snapshot: &Snapshot) -> Option<Response> {
    let pending = snapshot.status.bootstrap_pending;
    (snapshot.status.bootstrap_ms.is_none()).then(|| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("still reading /proc ({pending} processes to go), retry"),
        )
    })
}

fn not_found(pid: u32) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("pid {pid} is not in the ledger (no such process, or it has exited)"),
    )
}

/// What a peer may know of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Not even that it exists (`/proc` mounted with `hidepid=`).
    Hidden,
    /// Its numbers.
    Numbers,
    /// Its numbers and its details: regions, paths, events, call sites.
    Details,
}

/// What `peer` may know of process `pid` in `snapshot`: a live process's ids are read from
/// `/proc` now (blocking), an exited one's are those its exit carried.
fn access(peer: &Peer, snapshot: &Snapshot, pid: u32, mount: &ProcMount) -> Access {
    if peer.may_read_maps(None) {
        return Access::Details;
    }
    let ids = ids_of(snapshot, pid);
    if !peer.may_see(ids.as_ref(), mount) {
        Access::Hidden
    } else if peer.may_read_maps(ids.as_ref()) {
        Access::Details
    } else {
        Access::Numbers
    }
}

/// Who process `pid` is: read from `/proc` while it lives (checked to be the process the
/// ledger knows), else what its exit said; `None` when not known.
fn ids_of(snapshot: &Snapshot, pid: u32) -> Option<Ids> {
    match snapshot.processes.get(&pid) {
        Some(entry) => crate::procfs::creds::process_ids(pid, entry.start_ns, entry.since_ns),
        None => snapshot.exits.iter().rev().find(|x| x.pid == pid)?.ids,
    }
}

/// [`access`] off the async workers (it reads `/proc`).
async fn access_now(peer: &Peer, snapshot: &Arc<Snapshot>, pid: u32) -> Access {
    if peer.may_read_maps(None) {
        return Access::Details;
    }
    let (peer, snapshot) = (peer.clone(), Arc::clone(snapshot));
    tokio::task::spawn_blocking(move || {
        access(&peer, &snapshot, pid, &crate::procfs::creds::proc_mount())
    })
    .await
    .unwrap_or(Access::Hidden)
}

/// Since when (`CLOCK_MONOTONIC` ns) events of `pid` belong to the process whose ids judged
/// the peer: a live process's image since its exec (or since the ledger first saw it), else
/// the latest exit's process since its start; everything when neither is known.
fn events_floor(snapshot: &Snapshot, pid: u32) -> u64 {
    match snapshot.processes.get(&pid) {
        Some(entry) => entry.since_ns,
        None => snapshot
            .exits
            .iter()
            .rev()
            .find(|x| x.pid == pid)
            .map_or(u64::MAX, |x| x.start_ns),
    }
}

/// The answer to a peer who may not read `pid`'s details.
fn not_yours(pid: u32) -> Response {
    error(
        StatusCode::FORBIDDEN,
        format!(
            "pid {pid} is not yours: its regions, paths, events and call sites are shown, as /proc/{pid}/maps is, only to root and to the user the process runs as"
        ),
    )
}

/// Whether a peer may see the details of `pid`: `None` when it may, else the answer.
async fn details_refused(peer: &Peer, snapshot: &Arc<Snapshot>, pid: u32) -> Option<Response> {
    match access_now(peer, snapshot, pid).await {
        Access::Details => None,
        Access::Numbers => Some(not_yours(pid)),
        Access::Hidden => Some(not_found(pid)),
    }
}

/// Which of `pids` the peer may see at all (every one unless `/proc` hides some).
async fn visible(peer: &Peer, snapshot: &Arc<Snapshot>, pids: Vec<u32>) -> Vec<bool> {
    let mount = crate::procfs::creds::proc_mount();
    if peer.may_read_maps(None) || mount.hidepid == crate::access::Hidepid::Off {
        return vec![true; pids.len()];
    }
    let (peer, snapshot) = (peer.clone(), Arc::clone(snapshot));
    tokio::task::spawn_blocking(move || {
        pids.iter()
            .map(|&pid| access(&peer, &snapshot, pid, &mount) != Access::Hidden)
            .collect()
    })
    .await
    .unwrap_or_default()
}

async fn processes(State(api): State<Api>, Extension(peer): Extension<Peer>) -> Response {
    let snapshot = api.latest();
    let pids: Vec<u32> = snapshot.processes.keys().copied().collect();
    let shown = visible(&peer, &snapshot, pids).await;
    // The list names no call site; who may read every process's maps gets their ids.
    let numbers_only = !peer.may_read_maps(None);
    let views: Vec<_> = snapshot
        .processes
        .values()
        .zip(shown)
        .filter(|(_, shown)| *shown)
        .map(|(p, _)| {
            let mut view = p.view.clone();
            if let (true, Some(r)) = (numbers_only, &mut view.refused) {
                r.numbers_only();
            }
            view
        })
        .collect();
    Json(views).into_response()
}

async fn process(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    Path(pid): Path<String>,
) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return bad_pid(&pid);
    };
    let snapshot = api.latest();
    let Some(view) = snapshot.process(pid) else {
        return still_reading(&snapshot).unwrap_or_else(|| not_found(pid));
    };
    let mut view = view.clone();
    match access_now(&peer, &snapshot, pid).await {
        Access::Hidden => return not_found(pid),
        Access::Numbers => {
            if let Some(r) = &mut view.refused {
                r.numbers_only();
            }
        }
        Access::Details if view.refused.is_some() => {
            // Its refused calls' sites, named against its mappings now.
            let symbols = Arc::clone(&api.symbols);
            let named = tokio::task::spawn_blocking(move || {
                if let (Some(r), Some(entry)) = (&mut view.refused, snapshot.processes.get(&pid)) {
                    symbols.name_refused(pid, &entry.regions, &snapshot.sites, r);
                }
                view
            })
            .await;
            match named {
                Ok(v) => view = v,
                Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            }
        }
        Access::Details => {}
    }
    Json(view).into_response()
}

async fn maps(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    Path(pid): Path<String>,
) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return bad_pid(&pid);
    };
    let snapshot = api.latest();
    if snapshot.process(pid).is_none() {
        return still_reading(&snapshot).unwrap_or_else(|| not_found(pid));
    }
    if let Some(refused) = details_refused(&peer, &snapshot, pid).await {
        return refused;
    }
    match snapshot.maps(pid) {
        Some(regions) => Json(regions).into_response(),
        None => not_found(pid),
    }
}

#[derive(serde::Deserialize)]
struct EventsParams {
    #[serde(default)]
    since: u64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    256
}

/// The most items one answer lists, whatever `limit` asks.
const MAX_LIMIT: usize = 100_000;

async fn events(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    Path(pid): Path<String>,
    params: Result<Query<EventsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return bad_pid(&pid);
    };
    let Ok(Query(EventsParams { since, limit })) = params else {
        return error(
            StatusCode::BAD_REQUEST,
            "since and limit must be non-negative integers".into(),
        );
    };
    let snapshot = api.latest();
    if let Some(refused) = details_refused(&peer, &snapshot, pid).await {
        return refused;
    }
    let mut view = snapshot.events(pid, since.min(u64::MAX / 2), limit.min(MAX_LIMIT));
    if !peer.may_read_maps(None) {
        // Only the events of the program the peer was judged by: not those of an image
        // before its exec, nor of an earlier process on the same pid.
        let floor = events_floor(&snapshot, pid);
        view.events.retain(|e| e.ts_ns >= floor);
    }
    Json(view).into_response()
}

#[derive(serde::Deserialize)]
struct ExitsParams {
    #[serde(default = "default_limit")]
    limit: usize,
}

/// Recent exits, newest first.
async fn exits(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    params: Result<Query<ExitsParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(ExitsParams { limit })) = params else {
        return error(
            StatusCode::BAD_REQUEST,
            "limit must be a non-negative integer".into(),
        );
    };
    let snapshot = api.latest();
    let exits = snapshot.recent_exits(snapshot.exits.len());
    let mount = crate::procfs::creds::proc_mount();
    let mut shown: Vec<_> = exits
        .into_iter()
        .filter(|x| peer.may_see(x.ids.as_ref(), &mount))
        .take(limit.min(MAX_LIMIT))
        .collect();
    // Call sites are addresses: named for who may read the process's maps, else left out.
    for x in &mut shown {
        if !peer.may_read_maps(x.ids.as_ref()) {
            x.numbers_only();
            x.held = None;
        }
    }
    if !shown.iter().any(|x| x.held.is_some()) {
        return Json(shown).into_response();
    }
    let symbols = Arc::clone(&api.symbols);
    let named = tokio::task::spawn_blocking(move || {
        shown.iter_mut().for_each(|x| symbols.name_exit(x));
        shown
    })
    .await;
    match named {
        Ok(shown) => Json(shown).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn status(State(api): State<Api>) -> Response {
    Json(api.latest().status.clone()).into_response()
}

async fn metrics(State(api): State<Api>, Extension(peer): Extension<Peer>) -> Response {
    // Its series name processes by pid and comm, whoever asks: where `/proc` hides other
    // users' processes, a local peer that could not see them all gets none.
    if !peer.may_read_maps(None)
        && crate::procfs::creds::proc_mount().hidepid != crate::access::Hidepid::Off
    {
        return error(
            StatusCode::FORBIDDEN,
            "/proc is mounted with hidepid=: /metrics names every process, so on the socket it is for root only".into(),
        );
    }
    let snapshot = api.latest();
    let rendered = tokio::task::spawn_blocking(move || render(&snapshot, &own_usage())).await;
    match rendered {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("rendering the metrics failed: {e}"),
        ),
    }
}

/// Ready: the owner publishes and the bootstrap is done (a readiness probe).
async fn healthz(State(api): State<Api>) -> Response {
    let snapshot = api.latest();
    if let Some(stuck) = stalled(&snapshot) {
        return stuck;
    }
    match still_reading(&snapshot) {
        Some(not_ready) => not_ready,
        None => (StatusCode::OK, "ok\n").into_response(),
    }
}

/// Alive: the owner publishes, bootstrap or not (a liveness probe, which must not restart
/// an agent still reading a large machine's /proc).
async fn livez(State(api): State<Api>) -> Response {
    match stalled(&api.latest()) {
        Some(stuck) => stuck,
        None => (StatusCode::OK, "ok\n").into_response(),
    }
}

/// 503 when the owner has not published for [`STALE_AFTER_S`].
fn stalled(snapshot: &Snapshot) -> Option<Response> {
    let age = monotonic_ns() as f64 / 1e9 - snapshot.published_s;
    (age > STALE_AFTER_S).then(|| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the ledger's owner has not published for {age:.0} s"),
        )
    })
}

/// Where the mapping limit is.
const MAX_MAP_COUNT: &str = "/proc/sys/vm/max_map_count";

/// The agent's own CPU time and resident memory, and `vm.max_map_count` (read at each scrape:
/// a sysctl can change it at any time).
fn own_usage() -> OwnUsage {
    use std::sync::atomic::{AtomicU64, Ordering};
    static MAX_MAP_COUNT_ERRORS: AtomicU64 = AtomicU64::new(0);
    let (cpu_seconds, resident_bytes) = own_cpu_and_rss();
    let max_map_count = match std::fs::read_to_string(MAX_MAP_COUNT)
        .map_err(|e| e.to_string())
        .and_then(|s| s.trim().parse::<u64>().map_err(|e| e.to_string()))
    {
        Ok(n) => Some(n),
        Err(e) => {
            if MAX_MAP_COUNT_ERRORS.fetch_add(1, Ordering::Relaxed) == 0 {
                log::warn!(
                    "cannot read {MAX_MAP_COUNT}: {e}; vmmon_max_map_count_limit is left out"
                );
            }
            None
        }
    };
    OwnUsage {
        cpu_seconds,
        resident_bytes,
        max_map_count,
        max_map_count_errors: MAX_MAP_COUNT_ERRORS.load(Ordering::Relaxed),
    }
}

/// The API's routes over the owner's published snapshots.
pub fn router(snapshots: watch::Receiver<Arc<Snapshot>>) -> Router {
    Router::new()
        .route("/metrics", get(self::metrics))
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/api/v1/processes", get(processes))
        .route("/api/v1/processes/{pid}", get(process))
        .route("/api/v1/processes/{pid}/maps", get(maps))
        .route("/api/v1/processes/{pid}/events", get(events))
        .route("/api/v1/processes/{pid}/sites", get(sites::process_sites))
        .route("/api/v1/sites", get(sites::all_sites))
        .route("/api/v1/exits", get(exits))
        .route("/api/v1/status", get(status))
        .with_state(Api {
            snapshots,
            symbols: Arc::new(Symbols::new()),
        })
}

#[cfg(test)]
mod tests;
