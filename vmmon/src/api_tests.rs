//! The API's answers over hand-made snapshots, served on a loopback port: readiness during
//! the start-up read, per-process questions it cannot answer yet, and recent exits.

use super::router;
use crate::procfs::monotonic_ns;
use crate::view::{ExitView, Snapshot};
use std::sync::Arc;
use tokio::sync::watch;

/// Serves `snapshot` and asks `paths`; the status code and body of each.
fn ask(snapshot: Snapshot, paths: &[&str]) -> Vec<(u16, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (_tx, rx) = watch::channel(Arc::new(snapshot));
        let app = router(rx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let http: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            paths
                .iter()
                .map(|p| {
                    let mut resp = http.get(format!("http://{addr}{p}")).call().unwrap();
                    let code = resp.status().as_u16();
                    (code, resp.body_mut().read_to_string().unwrap())
                })
                .collect()
        })
        .await
        .unwrap()
    })
}

fn fresh() -> Snapshot {
    Snapshot {
        published_s: monotonic_ns() as f64 / 1e9,
        ..Snapshot::default()
    }
}

#[test]
fn while_proc_is_still_read_health_is_not_ready_and_processes_say_retry() {
    let mut s = fresh();
    s.status.bootstrap_pending = 7;
    let answers = ask(
        s,
        &[
            "/healthz",
            "/api/v1/processes/1",
            "/api/v1/processes/1/maps",
            "/api/v1/processes/1/sites",
            "/api/v1/status",
            "/livez",
        ],
    );
    for (code, body) in &answers[..4] {
        assert_eq!(*code, 503, "{body}");
        assert!(
            body.contains("still reading /proc (7 processes to go), retry"),
            "{body}"
        );
    }
    assert_eq!(answers[4].0, 200, "the status answers at once");
    assert_eq!(
        answers[5],
        (200, "ok\n".to_string()),
        "alive while it reads"
    );
}

#[test]
fn once_proc_is_read_health_is_ready_and_unknown_pids_are_not_found() {
    let mut s = fresh();
    s.status.bootstrap_ms = Some(12);
    let answers = ask(
        s,
        &[
            "/healthz",
            "/api/v1/processes/1/maps",
            "/api/v1/processes/1/sites",
            "/api/v1/processes/1/sites?limit=-1",
            "/api/v1/processes/x/sites",
        ],
    );
    assert_eq!(answers[0], (200, "ok\n".to_string()));
    for (code, body) in &answers[1..3] {
        assert_eq!(*code, 404, "{body}");
        assert!(body.contains("not in the ledger"), "{body}");
    }
    assert_eq!(answers[3].0, 400, "{}", answers[3].1);
    assert_eq!(answers[4].0, 400, "{}", answers[4].1);
}

#[test]
fn a_stale_snapshot_is_not_healthy() {
    let mut s = fresh();
    s.status.bootstrap_ms = Some(12);
    s.published_s -= 60.0;
    let answers = ask(s, &["/healthz", "/livez"]);
    for (code, body) in answers {
        assert_eq!(code, 503);
        assert!(body.contains("has not published"), "{body}");
    }
}

#[test]
fn exits_are_served_newest_first_and_limited() {
    let mut s = fresh();
    s.status.bootstrap_ms = Some(0);
    for pid in 1..=3u32 {
        s.exits.push_back(ExitView {
            pid,
            comm: format!("p{pid}"),
            unit: None,
            start_ns: 1_000,
            exit_ns: 1_000 + u64::from(pid) * 1_000_000_000,
            lifetime_seconds: f64::from(pid),
            peak_virtual_bytes: Some(u64::from(pid) << 20),
            peak_resident_bytes: Some(4096),
            mapping_count: Some(30 + pid),
            counts: Default::default(),
        });
    }
    let answers = ask(
        s,
        &[
            "/api/v1/exits",
            "/api/v1/exits?limit=1",
            "/api/v1/exits?limit=x",
        ],
    );
    let all: Vec<ExitView> = serde_json::from_str(&answers[0].1).unwrap();
    assert_eq!(all.iter().map(|x| x.pid).collect::<Vec<_>>(), [3, 2, 1]);
    assert_eq!(all[0].peak_virtual_bytes, Some(3 << 20));
    assert_eq!(all[0].mapping_count, Some(33));
    let one: Vec<ExitView> = serde_json::from_str(&answers[1].1).unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].pid, 3);
    assert_eq!(answers[2].0, 400, "{}", answers[2].1);
}
