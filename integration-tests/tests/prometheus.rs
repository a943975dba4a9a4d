//! End to end, as a fleet uses vmmon: the agent with the real programs, a real Prometheus
//! server (Debian's package; `cargo xtask test` installs it) scraping it on loopback, and a
//! workload growing its address space. A PromQL query through Prometheus's HTTP API returns
//! that growth.

use std::process::{Command, Stdio};
use std::time::Duration;
use vmmon_integration_tests::agent::{Killed, Launch, free_port, wait_until};
use vmmon_integration_tests::collect::require_root;

/// A real Prometheus scraping the agent on `agent_port` every second, in `dir`.
struct Server {
    _prom: Killed,
    api: String,
}

impl Server {
    fn start(dir: &std::path::Path, agent_port: u16) -> Self {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: vmmon\n    static_configs:\n      - targets: [\"127.0.0.1:{agent_port}\"]\n"
            ),
        )
        .unwrap();
        let prom_port = free_port();
        let prom = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus (Debian's prometheus package) must be installed: cargo xtask test installs it");
        let server = Self {
            _prom: Killed(prom),
            api: format!("http://127.0.0.1:{prom_port}"),
        };
        wait_until("prometheus ready", Duration::from_secs(60), || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let ok = agent
                .get(&format!("{}/-/ready", server.api))
                .call()
                .ok()?
                .status()
                .is_success();
            ok.then_some(())
        });
        server
    }

    /// The first value of an instant query.
    fn query(&self, q: &str) -> Option<f64> {
        self.query_all(q).ok()?.first().copied()
    }

    /// Every value of an instant query, or Prometheus's error (a query it cannot parse or
    /// evaluate).
    fn query_all(&self, q: &str) -> Result<Vec<f64>, String> {
        let url = format!("{}/api/v1/query?query={}", self.api, urlencode(q));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut answer = agent.get(&url).call().map_err(|e| e.to_string())?;
        let v: serde_json::Value = answer.body_mut().read_json().map_err(|e| e.to_string())?;
        if v["status"] != "success" {
            return Err(v.to_string());
        }
        let values = v["data"]["result"].as_array().cloned().unwrap_or_default();
        Ok(values
            .iter()
            .filter_map(|r| r["value"][1].as_str()?.parse().ok())
            .collect())
    }
}

/// The dashboard's queries, with its variables set to match anything.
fn dashboard_queries() -> Vec<(String, String)> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/grafana/vmmon.json");
    let d: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"].as_str().unwrap().replace("$instance", ".*");
            out.push((p["title"].as_str().unwrap_or("").to_string(), expr));
        }
    }
    out
}

/// The `vmmon_*` metric names a query reads (a histogram's by its family's name).
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("vmmon_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.push(name.trim_end_matches("_bucket").to_string());
    }
    names
}

#[test]
fn real_ebpf_prometheus_scrapes_the_agent_and_sees_a_process_grow() {
    require_root();
    let dir = std::env::temp_dir().join(format!("vmmon-prom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let agent_port = free_port();
    let _agent = Launch::new().port(agent_port).start();
    let server = Server::start(&dir, agent_port);
    let query = |q: &str| server.query(q);

    let grower = Command::new(env!("CARGO_BIN_EXE_vmmon-workload"))
        .args(["grow", "30"])
        .spawn()
        .unwrap();
    let pid = grower.id();
    let _grower = Killed(grower);
    // The workload gains 1 MiB every 100 ms: Prometheus must see its growth.
    let growth = wait_until(
        "growth of the workload in Prometheus",
        Duration::from_secs(60),
        || {
            query(&format!(
                "vmmon_process_growth_bytes{{job=\"vmmon\",pid=\"{pid}\"}}"
            ))
            .filter(|g| *g >= 20.0 * 1024.0 * 1024.0)
        },
    );
    // 10 MiB a second while it runs: the per-second gauge (the last two one-second samples,
    // each holding 9 to 11 of the workload's steps) must say so, not merely exist.
    let mib = 1024.0 * 1024.0;
    let rate = wait_until(
        "the workload's growth rate in Prometheus",
        Duration::from_secs(30),
        || {
            query(&format!(
                "vmmon_process_growth_bytes_per_second{{pid=\"{pid}\"}}"
            ))
            .filter(|r| (8.0 * mib..=12.0 * mib).contains(r))
        },
    );
    let up = query("up{job=\"vmmon\"}").unwrap_or(0.0);
    assert_eq!(up, 1.0, "Prometheus does not see the agent up");
    eprintln!("Prometheus: pid {pid} grew {growth} bytes over the window, {rate} B/s now");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every query of the Grafana dashboard (the new panels: OOM kills, the time to the mapping
/// limit, mappings by kind, deleted files) is one Prometheus evaluates, over families the
/// agent exports; the OOM-kill, refused-call and deleted-file families have series.
#[test]
fn real_ebpf_every_dashboard_query_evaluates_over_families_the_agent_exports() {
    require_root();
    let dir = std::env::temp_dir().join(format!("vmmon-prom-dash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let agent_port = free_port();
    let _agent = Launch::new().port(agent_port).start();
    let server = Server::start(&dir, agent_port);
    wait_until("the first scrape", Duration::from_secs(60), || {
        server.query("vmmon_processes").filter(|n| *n > 0.0)
    });
    let exported = get_text(&format!("http://127.0.0.1:{agent_port}/metrics"));
    for (title, expr) in dashboard_queries() {
        if let Err(e) = server.query_all(&expr) {
            panic!("panel {title:?}: {expr}: {e}");
        }
        for name in metric_names(&expr) {
            assert!(
                exported.contains(&format!("# TYPE {name} ")),
                "panel {title:?} reads {name}, which the agent does not export"
            );
        }
    }
    for family in [
        "vmmon_comm_oom_kills_total",
        "vmmon_unit_oom_kills_total",
        "vmmon_process_kind_mappings",
        "vmmon_comm_enomem_calls_total",
    ] {
        let series = server.query_all(family).unwrap();
        assert!(!series.is_empty(), "no series of {family} in Prometheus");
    }
    let deleted = server
        .query_all("vmmon_comm_kind_mappings{kind=\"deleted_file\"}")
        .unwrap();
    assert!(!deleted.is_empty(), "no deleted_file series");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `GET url` as text.
fn get_text(url: &str) -> String {
    ureq::get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// Processes of one name come and go in waves, the largest of each moving into the top K
/// (`--top-k 2`) and out as it exits: through Prometheus, no group or `other` counter ever
/// went down, and the group's mmap counter is every call the workload made.
#[test]
fn real_ebpf_group_and_other_counters_never_go_down_and_count_every_call() {
    require_root();
    let dir = std::env::temp_dir().join(format!("vmmon-prom-waves-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let agent_port = free_port();
    let _agent = Launch::new()
        .port(agent_port)
        .args(&["--top-k", "2", "--max-groups", "1000"])
        .start();
    let server = Server::start(&dir, agent_port);
    wait_until("the first scrape", Duration::from_secs(30), || {
        server.query("vmmon_processes").filter(|n| *n > 0.0)
    });
    let out = Command::new(env!("CARGO_BIN_EXE_vmmon-workload"))
        .args(["waves", "5", "20000"])
        .output()
        .unwrap();
    assert!(out.status.success(), "the workload failed: {out:?}");
    let made: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .strip_prefix("mmaps ")
        .and_then(|n| n.parse().ok())
        .expect("the workload says how many mmaps it made");
    let counted = wait_until(
        "every mmap of the waves counted in Prometheus",
        Duration::from_secs(30),
        || {
            server
                .query("vmmon_comm_syscalls_total{comm=\"vmchurnx\",syscall=\"mmap\"}")
                .filter(|n| *n >= made)
        },
    );
    assert_eq!(counted, made, "the group counted more mmaps than were made");
    // Let Prometheus scrape a few more times after the last exit.
    std::thread::sleep(Duration::from_secs(3));
    for q in [
        "sum(resets(vmmon_comm_syscalls_total{comm=\"vmchurnx\"}[5m]))",
        "sum(resets(vmmon_comm_mapped_bytes_total{comm=\"vmchurnx\"}[5m]))",
        "sum(resets(vmmon_process_syscalls_total{pid=\"other\"}[5m]))",
        "sum(resets(vmmon_process_mapped_bytes_total{pid=\"other\"}[5m]))",
        "sum(resets(vmmon_comm_syscalls_total{comm=\"other\"}[5m]))",
        "sum(resets(vmmon_unit_syscalls_total[5m]))",
        "sum(resets(vmmon_comm_exits_total[5m]))",
    ] {
        assert_eq!(server.query(q), Some(0.0), "{q}");
    }
    assert_eq!(
        server.query("vmmon_comm_exits_total{comm=\"vmchurnx\"}"),
        Some(10.0),
        "five waves of two"
    );
    // The large child of each wave had series of its own while it lived.
    let named = server
        .query("count(count_over_time(vmmon_process_virtual_bytes{comm=\"vmchurnx\"}[5m]))")
        .unwrap_or(0.0);
    assert!(named >= 1.0, "no vmchurnx ever moved into the top K");
    eprintln!("{made} mmaps made and counted; {named} vmchurnx processes had their own series");
    let _ = std::fs::remove_dir_all(&dir);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
