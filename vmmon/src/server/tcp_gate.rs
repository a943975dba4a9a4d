//! What the TCP door lets through: `/healthz` and `/livez` to anyone; `/metrics` to anyone
//! or, with `api.metrics_auth`, to those with credentials; `/api/v1` only with `api.tcp`
//! and credentials. A request refused gets one line saying why.

use super::Shared;
use axum::Json;
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};

/// `None`: let it through; else the refusal.
/// `tls`: the connection came over TLS (with a verified client certificate where the web
/// config requires one).
pub async fn check(shared: &Shared, parts: &Parts, tls: bool) -> Option<Response> {
    let path = parts.uri.path();
    if path == "/healthz" || path == "/livez" {
        return None;
    }
    let api = path == "/api" || path.starts_with("/api/");
    if api && !shared.api_tcp {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            format!(
                "the JSON API is served on the Unix socket {} (vmmon maps and vmmon top use it); over TCP only with api.tcp = true and credentials",
                shared.socket
            ),
        ));
    }
    let credentials = shared.credentials();
    let guarded = api || (path == "/metrics" && credentials.metrics_auth);
    if !guarded {
        return None;
    }
    let headers = parts.headers.clone();
    let allowed = tokio::task::spawn_blocking(move || credentials.allows(&headers, tls))
        .await
        .unwrap_or(false);
    if allowed {
        return None;
    }
    let mut refused = refuse(
        StatusCode::UNAUTHORIZED,
        "credentials required: basic auth of a user in api.web_config_file, or Authorization: Bearer with the token of api.bearer_token_file".into(),
    );
    refused.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Basic realm=\"vmmon\""),
    );
    Some(refused)
}

fn refuse(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}
