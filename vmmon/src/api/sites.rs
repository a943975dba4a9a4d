//! What call sites hold: one process's (`/api/v1/processes/{pid}/sites`) and every process's
//! the peer may read the maps of (`/api/v1/sites`), as JSON, a pprof heap profile
//! (`format=pprof`) or a flame graph (`format=flamegraph`). Call sites are addresses: the
//! same per-peer rules as the maps.

use super::{Access, Api, MAX_LIMIT, access, details_refused, error, not_found, still_reading};
use crate::access::Peer;
use crate::profile::{PprofBuilder, ProcessProfile, encode_pprof, flame_graph};
use crate::symbolize::ProcessSites;
use crate::view::Snapshot;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// How the sites are answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Format {
    #[default]
    Json,
    /// pprof's `profile.proto`, gzipped (`go tool pprof`, Pyroscope, Parca read it).
    Pprof,
    /// An SVG flame graph, widths in bytes.
    Flamegraph,
}

#[derive(serde::Deserialize)]
pub(super) struct SitesParams {
    /// Call sites per process, most bytes first.
    #[serde(default = "default_sites")]
    limit: usize,
    #[serde(default)]
    format: Format,
    /// `/api/v1/sites` only: the processes of this comm, or of this unit.
    comm: Option<String>,
    unit: Option<String>,
}

fn default_sites() -> usize {
    20
}

/// The most call sites a process adds to a machine-wide answer unless `limit` says.
const DEFAULT_SITES_EACH: usize = 1000;

fn bad_params() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "limit must be a non-negative integer, format json, pprof or flamegraph".into(),
    )
}

/// What each call site of a process holds, most first, named.
pub(super) async fn process_sites(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    Path(pid): Path<String>,
    params: Result<Query<SitesParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return super::bad_pid(&pid);
    };
    let Ok(Query(params)) = params else {
        return bad_params();
    };
    let snapshot = api.latest();
    if !snapshot.processes.contains_key(&pid) {
        return still_reading(&snapshot).unwrap_or_else(|| not_found(pid));
    }
    if let Some(refused) = details_refused(&peer, &snapshot, pid).await {
        return refused;
    }
    let limit = params.limit.min(MAX_LIMIT);
    let symbols = Arc::clone(&api.symbols);
    let named = tokio::task::spawn_blocking(move || {
        let sites = symbols.process_sites(&snapshot, pid, limit)?;
        Some(answer(&snapshot, &[sites], params.format, false))
    })
    .await;
    match named {
        Ok(Some(answer)) => answer,
        Ok(None) => not_found(pid),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("naming call sites failed: {e}"),
        ),
    }
}

/// What each call site of every process the peer may read the maps of holds (of one comm or
/// unit when asked), named; a process the peer may not read is left out, as `/proc` would.
pub(super) async fn all_sites(
    State(api): State<Api>,
    Extension(peer): Extension<Peer>,
    params: Result<Query<SitesParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return bad_params();
    };
    let snapshot = api.latest();
    if let Some(wait) = still_reading(&snapshot) {
        return wait;
    }
    let limit = match params.limit {
        20 => DEFAULT_SITES_EACH,
        n => n.min(MAX_LIMIT),
    };
    let symbols = Arc::clone(&api.symbols);
    let named = tokio::task::spawn_blocking(move || {
        let pids = readable(&peer, &snapshot, &params);
        let all: Vec<ProcessSites> = pids
            .into_iter()
            .filter_map(|pid| symbols.process_sites(&snapshot, pid, limit))
            .collect();
        answer(&snapshot, &all, params.format, true)
    })
    .await;
    named.unwrap_or_else(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("naming call sites failed: {e}"),
        )
    })
}

/// The processes of `snapshot` that match `params`' comm and unit and whose maps `peer` may
/// read (reads `/proc` for a peer other than root).
fn readable(peer: &Peer, snapshot: &Snapshot, params: &SitesParams) -> Vec<u32> {
    let mount = crate::procfs::creds::proc_mount();
    snapshot
        .processes
        .iter()
        .filter(|(_, e)| params.comm.as_ref().is_none_or(|c| *c == e.view.comm))
        .filter(|(_, e)| {
            params
                .unit
                .as_ref()
                .is_none_or(|u| Some(u) == e.view.unit.as_ref())
        })
        .map(|(&pid, _)| pid)
        .filter(|&pid| access(peer, snapshot, pid, &mount) == Access::Details)
        .collect()
}

/// `sites` answered as `format` asks. With `per_process`, a flame graph's stacks start with
/// their process.
fn answer(
    snapshot: &Snapshot,
    sites: &[ProcessSites],
    format: Format,
    per_process: bool,
) -> Response {
    let profiles: Vec<ProcessProfile<'_>> = sites
        .iter()
        .map(|s| ProcessProfile {
            pid: s.pid,
            comm: &s.comm,
            unit: s.unit.as_deref(),
            regions: snapshot.processes.get(&s.pid).map(|e| &e.regions),
            sites: &s.sites,
        })
        .collect();
    match format {
        Format::Json if per_process => Json(sites).into_response(),
        Format::Json => match sites.first() {
            Some(one) => Json(one).into_response(),
            None => error(StatusCode::NOT_FOUND, "no such process".into()),
        },
        Format::Pprof => {
            let mut b = PprofBuilder::new();
            for p in &profiles {
                b.add(p);
            }
            let bytes = encode_pprof(&b.finish(wall_clock_ns()));
            ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
        }
        Format::Flamegraph => {
            let title = match (per_process, sites.first()) {
                (false, Some(s)) => {
                    format!("{} ({}): bytes still mapped by call site", s.comm, s.pid)
                }
                _ => "bytes still mapped by call site".to_string(),
            };
            match flame_graph(&profiles, per_process, &title) {
                Ok(svg) => ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response(),
                Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
            }
        }
    }
}

/// Now, in ns since the epoch (a profile's `time_nanos`).
fn wall_clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}
