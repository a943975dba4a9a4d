//! The local JSON API, served by axum: handlers ask the ledger's owner over a channel and
//! hold no lock while they serve.

use super::core::Query as Ask;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::sync::{mpsc, oneshot};

type Owner = mpsc::Sender<Ask>;

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

async fn ask<T>(
    owner: &Owner,
    make: impl FnOnce(oneshot::Sender<T>) -> Ask,
) -> Result<T, Response> {
    let (tx, rx) = oneshot::channel();
    let unavailable = || {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the ledger is shutting down".into(),
        )
    };
    owner.send(make(tx)).await.map_err(|_| unavailable())?;
    rx.await.map_err(|_| unavailable())
}

async fn processes(State(owner): State<Owner>) -> Response {
    match ask(&owner, Ask::Processes).await {
        Ok(list) => Json(list).into_response(),
        Err(r) => r,
    }
}

fn bad_pid(pid: &str) -> Response {
    error(StatusCode::BAD_REQUEST, format!("{pid:?} is not a pid"))
}

fn not_found(pid: u32) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("pid {pid} is not in the ledger (no such process, or it has exited)"),
    )
}

async fn process(State(owner): State<Owner>, Path(pid): Path<String>) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return bad_pid(&pid);
    };
    match ask(&owner, |tx| Ask::Process(pid, tx)).await {
        Ok(Some(p)) => Json(p).into_response(),
        Ok(None) => not_found(pid),
        Err(r) => r,
    }
}

async fn maps(State(owner): State<Owner>, Path(pid): Path<String>) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return bad_pid(&pid);
    };
    match ask(&owner, |tx| Ask::Maps(pid, tx)).await {
        Ok(Some(regions)) => Json(regions).into_response(),
        Ok(None) => not_found(pid),
        Err(r) => r,
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

async fn events(
    State(owner): State<Owner>,
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
    match ask(&owner, |tx| Ask::Events {
        pid,
        since,
        limit,
        tx,
    })
    .await
    {
        Ok(v) => Json(v).into_response(),
        Err(r) => r,
    }
}

async fn status(State(owner): State<Owner>) -> Response {
    match ask(&owner, Ask::Status).await {
        Ok(s) => Json(s).into_response(),
        Err(r) => r,
    }
}

async fn metrics(State(owner): State<Owner>) -> Response {
    match ask(&owner, Ask::Metrics).await {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(r) => r,
    }
}

async fn healthz(State(owner): State<Owner>) -> Response {
    let answered =
        tokio::time::timeout(std::time::Duration::from_secs(5), ask(&owner, Ask::Health)).await;
    match answered {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        _ => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the ledger's owner does not answer".into(),
        ),
    }
}

/// The API's routes.
pub fn router(owner: Owner) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/api/v1/processes", get(processes))
        .route("/api/v1/processes/{pid}", get(process))
        .route("/api/v1/processes/{pid}/maps", get(maps))
        .route("/api/v1/processes/{pid}/events", get(events))
        .route("/api/v1/status", get(status))
        .with_state(owner)
}
