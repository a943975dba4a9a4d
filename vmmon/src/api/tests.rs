//! The API's answers over hand-made snapshots, served on a loopback port: readiness during
//! the start-up read, per-process questions it cannot answer yet, and recent exits.

use super::router;
use crate::access::{Local, Peer};
use crate::client::Client;
use crate::clock::monotonic_ns;
use crate::fixtures::test_view;
use crate::server::{Credentials, Shared};
use crate::view::{ExitView, ProcessEntry, Snapshot};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Serves `snapshot` on a Unix socket of its own through the agent's serve loop, asks
/// `paths` with the API's client; the status code and body of each.
fn ask(snapshot: Snapshot, paths: &[&str]) -> Vec<(u16, String)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "vmmon-api-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let socket = dir.join("api.sock");
    let (stop_tx, stop) = watch::channel(false);
    let (_tx, rx) = watch::channel(Arc::new(snapshot));
    let server = {
        let _in = rt.enter();
        let shared = Shared::new(router(rx), Credentials::default(), false, "test");
        let (listener, _) = crate::server::bind_socket(&socket).unwrap();
        rt.spawn(crate::server::serve_unix(listener, shared, stop))
    };
    let client = Client::new(&socket.display().to_string(), Duration::from_secs(10));
    let answers = paths
        .iter()
        .map(|p| {
            let (code, body) = client.get_raw(p).unwrap();
            (code, String::from_utf8_lossy(&body).into_owned())
        })
        .collect();
    stop_tx.send(true).unwrap();
    rt.block_on(server).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    answers
}

/// Asks the routes `paths` as `peer` (no socket: the peer is given).
fn ask_as(peer: Peer, snapshot: Snapshot, paths: &[&str]) -> Vec<(u16, String)> {
    use tower::ServiceExt as _;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (_tx, rx) = watch::channel(Arc::new(snapshot));
    let app = router(rx);
    rt.block_on(async {
        let mut answers = Vec::new();
        for p in paths {
            let mut req = axum::http::Request::get(*p)
                .body(axum::body::Body::empty())
                .unwrap();
            req.extensions_mut().insert(peer.clone());
            let resp = app.clone().oneshot(req).await.unwrap();
            let code = resp.status().as_u16();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            answers.push((code, String::from_utf8_lossy(&body).into_owned()));
        }
        answers
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
            ids: None,
            cause: None,
            refused: None,
            sites: Vec::new(),
            held: None,
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

/// A ledger with this test's own process (pid, its ids) and pid 1 (root's).
fn mine_and_roots() -> Snapshot {
    let mut s = fresh();
    s.status.bootstrap_ms = Some(0);
    for pid in [1, std::process::id()] {
        let entry = ProcessEntry {
            view: test_view(pid, "p", 4096, 1),
            regions: Default::default(),
            start_ns: None,
            // Seen now: the processes on these pids started before.
            since_ns: monotonic_ns(),
        };
        s.processes.insert(pid, Arc::new(entry));
    }
    s
}

fn me() -> Peer {
    // SAFETY: plain getters.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    Peer::Local(Local {
        uid,
        gid,
        ..Local::default()
    })
}

#[test]
fn a_user_gets_every_processs_numbers_but_only_its_own_details() {
    let stranger = Peer::Local(Local {
        uid: 65_000,
        gid: 65_000,
        ..Local::default()
    });
    let me_pid = std::process::id();
    let paths: Vec<String> = [1, me_pid]
        .iter()
        .flat_map(|pid| {
            ["", "/maps", "/events", "/sites"].map(|tail| format!("/api/v1/processes/{pid}{tail}"))
        })
        .chain(["/api/v1/processes".to_string()])
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let answers = ask_as(stranger, mine_and_roots(), &paths);
    assert_eq!(answers[0].0, 200, "numbers for everyone");
    for (code, body) in answers[1..4].iter().chain(&answers[5..8]) {
        assert_eq!(*code, 403, "{body}");
        assert!(body.contains("is not yours"), "{body}");
    }
    let all: Vec<serde_json::Value> = serde_json::from_str(&answers[8].1).unwrap();
    assert_eq!(all.len(), 2, "the list holds every process's numbers");
    let as_root = ask_as(Peer::root(), mine_and_roots(), &paths);
    assert!(as_root.iter().all(|(c, _)| *c == 200), "{as_root:?}");
    let mine = ask_as(me(), mine_and_roots(), &paths);
    assert!(mine[4..8].iter().all(|(c, _)| *c == 200), "{mine:?}");
    if me() != Peer::root() {
        assert_eq!(mine[1].0, 403, "a user reads not root's maps");
    }
}

#[test]
fn an_exited_process_is_judged_by_the_ids_it_had() {
    let mut s = fresh();
    s.status.bootstrap_ms = Some(0);
    // Each left with a call site holding a page and a refused mmap from the same site.
    let site = 0xbeef;
    let mut refused = crate::ledger::Refused::default();
    refused.note(crate::ledger::RefusedCall {
        call: crate::event::Syscall::Mmap,
        bytes: 1 << 30,
        errno: Some(12),
        site,
        ts_ns: 1,
        virtual_bytes: Some(1 << 20),
        mappings: Some(9),
    });
    let mut table = crate::ledger::SiteTable::new();
    table.insert(site, Arc::from(vec![0x1234u64]));
    let totals = vec![crate::ledger::SiteTotal {
        site,
        bytes: 4096,
        regions: 1,
    }];
    let held =
        Arc::new(crate::view::ExitSites::keep(totals, Some(&refused), &table, None).unwrap());
    let exit = |pid: u32, uid: Option<u32>| ExitView {
        pid,
        comm: "gone".into(),
        unit: None,
        start_ns: 0,
        exit_ns: 1,
        lifetime_seconds: 0.0,
        peak_virtual_bytes: None,
        peak_resident_bytes: None,
        mapping_count: None,
        counts: Default::default(),
        ids: uid.map(|u| crate::access::Ids {
            uids: [u; 3],
            gids: [u; 3],
            dumpable: true,
        }),
        cause: Some(crate::event::ExitCause::of(9, true)),
        refused: crate::view::RefusedView::of(&refused),
        sites: Vec::new(),
        held: Some(held.clone()),
    };
    s.exits.push_back(exit(70, Some(1000)));
    s.exits.push_back(exit(71, Some(0)));
    s.exits.push_back(exit(72, None));
    let user = Peer::Local(Local {
        uid: 1000,
        gid: 1000,
        ..Local::default()
    });
    let paths = [
        "/api/v1/processes/70/events",
        "/api/v1/processes/71/events",
        "/api/v1/processes/72/events",
        "/api/v1/exits",
    ];
    let answers = ask_as(user, s.clone(), &paths);
    assert_eq!(answers[0].0, 200, "its own: {}", answers[0].1);
    assert_eq!(answers[1].0, 403, "root's");
    assert_eq!(answers[2].0, 403, "ids not known: root only");
    let exits: Vec<serde_json::Value> = serde_json::from_str(&answers[3].1).unwrap();
    assert_eq!(exits.len(), 3, "numbers for everyone");
    for x in &exits {
        // How it ended and what was refused are numbers; sites and frames are addresses.
        assert_eq!(x["cause"]["kind"], "oom_kill", "{x}");
        assert_eq!(x["refused"]["latest"]["bytes"], 1u64 << 30, "{x}");
        let own = x["pid"] == 70;
        assert_eq!(x["refused"]["latest"]["site"].is_string(), own, "{x}");
        assert_eq!(
            x["sites"].as_array().unwrap().len(),
            usize::from(own),
            "{x}"
        );
        if own {
            let frame = &x["sites"][0]["frames"][0];
            assert_eq!(frame["address"], 0x1234, "{x}");
            assert_eq!(frame["marker"], "gone", "its mappings were not known: {x}");
            assert_eq!(x["refused"]["first"]["frames"][0]["address"], 0x1234, "{x}");
        }
    }
    assert!(
        ask_as(Peer::root(), s, &paths)
            .iter()
            .all(|(c, _)| *c == 200)
    );
}

#[test]
fn limits_are_bounded_whatever_is_asked() {
    let answers = ask_as(
        Peer::root(),
        mine_and_roots(),
        &[
            "/api/v1/exits?limit=18446744073709551615",
            "/api/v1/processes/1/events?since=18446744073709551615&limit=18446744073709551615",
        ],
    );
    assert!(answers.iter().all(|(c, _)| *c == 200), "{answers:?}");
}

#[test]
fn profiles_follow_the_maps_rules_per_process_and_machine_wide() {
    let stranger = Peer::Local(Local {
        uid: 4242,
        gid: 4242,
        ..Local::default()
    });
    let paths = [
        "/api/v1/processes/1/sites?format=pprof",
        "/api/v1/processes/1/sites?format=flamegraph",
        "/api/v1/sites",
        "/api/v1/sites?format=pprof",
        "/api/v1/sites?format=x",
    ];
    let theirs = ask_as(stranger, mine_and_roots(), &paths);
    assert_eq!(theirs[0].0, 403, "{}", theirs[0].1);
    assert_eq!(theirs[1].0, 403, "{}", theirs[1].1);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&theirs[2].1).unwrap();
    assert!(
        listed.is_empty(),
        "a stranger reads no one's sites: {listed:?}"
    );
    assert_eq!(theirs[3].0, 200);
    assert_eq!(theirs[4].0, 400, "{}", theirs[4].1);
    let root = ask_as(Peer::root(), mine_and_roots(), &paths);
    assert!(root[..4].iter().all(|(c, _)| *c == 200), "{root:?}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&root[2].1).unwrap();
    assert_eq!(listed.len(), 2, "root reads both");
    assert!(root[1].1.starts_with("<svg") || root[1].1.starts_with("<?xml"));
}
