//! End to end, as a fleet uses vmmon: the agent with the real programs, a real Prometheus
//! server (Debian's package; `cargo xtask test` installs it) scraping it on loopback, and a
//! workload growing its address space. A PromQL query through Prometheus's HTTP API returns
//! that growth.

use std::process::{Command, Stdio};
use std::time::Duration;
use vmmon_integration_tests::agent::{Killed, Launch, free_port, get_json, wait_until};
use vmmon_integration_tests::collect::require_root;

#[test]
fn real_ebpf_prometheus_scrapes_the_agent_and_sees_a_process_grow() {
    require_root();
    let dir = std::env::temp_dir().join(format!("vmmon-prom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let agent_port = free_port();
    let _agent = Launch::new().port(agent_port).start();

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
    let _prom = Killed(prom);
    let api = format!("http://127.0.0.1:{prom_port}");
    wait_until("prometheus ready", Duration::from_secs(60), || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let ok = agent
            .get(&format!("{api}/-/ready"))
            .call()
            .ok()?
            .status()
            .is_success();
        ok.then_some(())
    });

    let grower = Command::new(env!("CARGO_BIN_EXE_vmmon-workload"))
        .args(["grow", "30"])
        .spawn()
        .unwrap();
    let pid = grower.id();
    let _grower = Killed(grower);
    let query = |q: &str| -> Option<f64> {
        let url = format!("{api}/api/v1/query?query={}", urlencode(q));
        let v = get_json(&url)?;
        v["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    };
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
