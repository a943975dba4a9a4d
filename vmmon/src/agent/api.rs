//! The local JSON API, served by axum: handlers ask the ledger's owner over a channel and
//! hold no lock while they serve.

use super::core::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tokio::sync::{mpsc, oneshot};

type Owner = mpsc::Sender<Query>;

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

async fn ask<T>(
    owner: &Owner,
    make: impl FnOnce(oneshot::Sender<T>) -> Query,
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
    match ask(&owner, Query::Processes).await {
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
    match ask(&owner, |tx| Query::Process(pid, tx)).await {
        Ok(Some(p)) => Json(p).into_response(),
        Ok(None) => not_found(pid),
        Err(r) => r,
    }
}

async fn maps(State(owner): State<Owner>, Path(pid): Path<String>) -> Response {
    let Ok(pid) = pid.parse::<u32>() else {
        return bad_pid(&pid);
    };
    match ask(&owner, |tx| Query::Maps(pid, tx)).await {
        Ok(Some(regions)) => Json(regions).into_response(),
        Ok(None) => not_found(pid),
        Err(r) => r,
    }
}

async fn status(State(owner): State<Owner>) -> Response {
    match ask(&owner, Query::Status).await {
        Ok(s) => Json(s).into_response(),
        Err(r) => r,
    }
}

async fn metrics(State(owner): State<Owner>) -> Response {
    match ask(&owner, Query::Metrics).await {
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
    let answered = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        ask(&owner, Query::Health),
    )
    .await;
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
        .route("/api/v1/status", get(status))
        .with_state(owner)
}
