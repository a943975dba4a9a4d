//! `vmmon agent` and `vmmon maps` as a user meets them, with the real programs (as root):
//! the API's documented fields, `maps` in text and JSON, and one-line errors.

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use vmmon_integration_tests::agent::{Agent, Launch, vmmon};

fn maps(agent: &Agent, args: &[&str]) -> Output {
    vmmon()
        .arg("maps")
        .args(args)
        .args(["--connect", &agent.socket])
        .output()
        .unwrap()
}

#[test]
fn real_ebpf_agent_serves_the_documented_api() {
    let agent = Agent::start();
    // A quiet process whose mappings do not change while the test looks.
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let me = sleeper.id();
    // Wait for the bootstrap to have read this process.
    let start = Instant::now();
    let proc_view = loop {
        let (code, v) = agent.get(&format!("/api/v1/processes/{me}"));
        // spawn is vfork+exec: until the exec is applied the child shares its parent's
        // address space and shows the parent's comm. Wait for the exec'd process.
        if code == 200 && v["comm"] == "sleep" {
            break v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never saw pid {me} as the exec'd sleep: {code} {v}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    for f in [
        "pid",
        "comm",
        "virtual_bytes",
        "mapping_count",
        "heap_bytes",
        "wx_bytes",
        "bytes_by_kind",
        "calls",
    ] {
        assert!(
            proc_view.get(f).is_some(),
            "process object lacks {f}: {proc_view}"
        );
    }
    assert_eq!(proc_view["pid"], me);
    assert_eq!(proc_view["comm"], "sleep");
    // SAFETY: geteuid has no preconditions.
    assert_eq!(proc_view["uid"], unsafe { libc::geteuid() }, "{proc_view}");
    assert!(proc_view["growth_bytes_per_second"].is_i64(), "{proc_view}");
    assert!(proc_view["growth_bytes"].is_i64(), "{proc_view}");
    // Its recent events (what `vmmon top`'s detail view follows): at least the exec, rendered.
    let (code, ev) = agent.get(&format!("/api/v1/processes/{me}/events"));
    assert_eq!(code, 200, "{ev}");
    let events = ev["events"].as_array().unwrap();
    let exec = events.iter().find(|e| e["name"] == "exec");
    assert!(
        exec.is_some_and(|e| e["text"].as_str().unwrap().contains("sleep")),
        "{ev}"
    );
    assert_eq!(ev["missed"], false);
    let next = ev["next"].as_u64().unwrap();
    let (code, later) = agent.get(&format!("/api/v1/processes/{me}/events?since={next}"));
    assert_eq!(code, 200);
    assert!(
        later["events"].as_array().unwrap().is_empty(),
        "a quiet sleep: {later}"
    );
    let (code, _) = agent.get(&format!("/api/v1/processes/{me}/events?since=-1"));
    assert_eq!(code, 400);
    let (code, list) = agent.get("/api/v1/processes");
    assert_eq!(code, 200);
    assert!(list.as_array().unwrap().iter().any(|p| p["pid"] == me));
    let (code, regions) = agent.get(&format!("/api/v1/processes/{me}/maps"));
    assert_eq!(code, 200);
    let regions = regions.as_array().unwrap();
    assert!(!regions.is_empty());
    for r in regions {
        assert!(
            r["start"].as_u64().unwrap() < r["end"].as_u64().unwrap(),
            "{r}"
        );
        assert_eq!(r["perms"].as_str().unwrap().len(), 4, "{r}");
        assert!(
            r["kind"].is_string() && (r["path"].is_string() || r["path"].is_null()),
            "{r}"
        );
    }
    // `virtual_bytes` is the kernel's VmSize, which does not count `[vsyscall]`; neither
    // does `mapping_count`.
    let counted: Vec<_> = regions.iter().filter(|r| r["kind"] != "vsyscall").collect();
    let sum: u64 = counted
        .iter()
        .map(|r| r["end"].as_u64().unwrap() - r["start"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, proc_view["virtual_bytes"].as_u64().unwrap());
    assert_eq!(
        counted.len() as u64,
        proc_view["mapping_count"].as_u64().unwrap()
    );

    // `vmmon maps --json` prints the same list; the text form is pmap-like.
    let out = maps(&agent, &["--json", &me.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), regions.len());
    let out = maps(&agent, &[&me.to_string()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("{me}:")), "{text}");
    assert!(text.contains("total in"), "{text}");

    // Unknown pids and bad paths get clear errors.
    let (code, v) = agent.get("/api/v1/processes/4194305/maps");
    assert_eq!(code, 404);
    assert!(v["error"].as_str().unwrap().contains("not in the ledger"));
    let (code, _) = agent.get("/api/v1/processes/abc/maps");
    assert_eq!(code, 400);
    let out = maps(&agent, &["4194305"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("pid 4194305 is not in the ledger"), "{err}");

    let (code, status) = agent.get("/api/v1/status");
    assert_eq!(code, 200);
    assert_eq!(status["kernel"]["ring_full"], 0, "{status}");
    assert!(status["bootstrap_ms"].is_u64(), "{status}");
    assert_eq!(status["growth_window_seconds"], 60, "{status}");
    // Prometheus metrics and health.
    let agent_http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent_http
        .get(&format!("http://{}/metrics", agent.addr))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.body_mut().read_to_string().unwrap();
    for want in [
        "vmmon_process_virtual_bytes{",
        "vmmon_events_received_total ",
        "vmmon_agent_resident_bytes ",
    ] {
        assert!(text.contains(want), "{want} missing from /metrics");
    }
    // Every program of the table, but the tracepoints of syscalls this kernel lacks.
    let here = vmmon_common::PROGRAMS
        .iter()
        .filter(|p| match p.hook {
            vmmon_common::Hook::TracePoint { category, name, .. } => {
                std::path::Path::new("/sys/kernel/tracing/events")
                    .join(category)
                    .join(name)
                    .exists()
            }
            _ => true,
        })
        .count();
    assert!(
        here > 40,
        "{here} of the table's programs have their hook here"
    );
    let attached = format!("vmmon_programs_attached {here}\n");
    assert!(text.contains(&attached), "{attached} missing from /metrics");
    // promtool (Debian's prometheus package; `cargo xtask test` installs it) finds nothing.
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool must be installed: run the tests with `cargo xtask test`");
    std::io::Write::write_all(&mut check.stdin.take().unwrap(), text.as_bytes()).unwrap();
    let out = check.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool check metrics: {said}"
    );
    let mut resp = agent_http
        .get(&format!("http://{}/healthz", agent.addr))
        .call()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.body_mut().read_to_string().unwrap().trim(), "ok");
    assert_eq!(status["self_check"], true, "{status}");
    assert!(text.contains("vmmon_self_check_enabled 1"), "{text}");

    // Its footprint when it leaves, newest first.
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let start = Instant::now();
    let exit = loop {
        let (code, exits) = agent.get("/api/v1/exits");
        assert_eq!(code, 200, "{exits}");
        if let Some(x) = exits.as_array().unwrap().iter().find(|x| x["pid"] == me) {
            break x.clone();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{exits}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(exit["comm"], "sleep", "{exit}");
    assert!(exit["lifetime_seconds"].as_f64().unwrap() > 0.0, "{exit}");
    assert!(
        exit["peak_virtual_bytes"].as_u64().unwrap()
            >= proc_view["virtual_bytes"].as_u64().unwrap(),
        "{exit} {proc_view}"
    );
    assert!(exit["peak_resident_bytes"].as_u64().unwrap() > 0, "{exit}");
    assert!(exit["mapping_count"].as_u64().unwrap() > 0, "{exit}");
}

/// A copy of the kernel's BTF in which `mm_struct` has no `total_vm` (its name mangled in
/// the string table), as on a kernel that renamed it.
fn btf_without_total_vm(dir: &std::path::Path) -> std::path::PathBuf {
    let mut btf = std::fs::read("/sys/kernel/btf/vmlinux").expect("read the kernel's BTF");
    let needle = b"\0total_vm\0";
    let at = btf
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("total_vm in the string table");
    btf[at + 8] = b'X';
    let path = dir.join("vmlinux");
    std::fs::write(&path, btf).unwrap();
    path
}

#[test]
fn real_ebpf_a_kernel_btf_without_the_figures_runs_without_self_checks() {
    let dir = std::env::temp_dir().join(format!("vmmon-btf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let btf = btf_without_total_vm(&dir);
    let agent = Launch::new()
        .env("VMMON_KERNEL_BTF", btf.to_str().unwrap())
        .start();
    let line = agent.wait_for_log("without self-checks");
    assert!(line.contains("mm_struct.total_vm"), "{line}");
    let start = Instant::now();
    let status = loop {
        let (code, status) = agent.get("/api/v1/status");
        if code == 200 && status["bootstrap_ms"].is_u64() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{status}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status["self_check"], false, "{status}");
    assert!(
        status["self_check_missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "mm_struct.total_vm"),
        "{status}"
    );
    let (code, text) = agent.get_text("/metrics");
    assert_eq!(code, 200);
    assert!(text.contains("vmmon_self_check_enabled 0"), "{text}");
    // The ledger still answers from the events and /proc.
    let me = std::process::id();
    let (code, p) = agent.get(&format!("/api/v1/processes/{me}"));
    assert_eq!(code, 200, "{p}");
    assert!(p["virtual_bytes"].as_u64().unwrap() > 0, "{p}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn maps_without_an_agent_says_how_to_start_one() {
    let out = vmmon()
        .args([
            "maps",
            "1",
            "--connect",
            "/tmp/vmmon-tests/nobody-here/api.sock",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("no vmmon agent answers") && err.contains("vmmon agent"),
        "{err}"
    );
}

#[test]
fn agent_on_a_busy_address_is_one_line() {
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = holder.local_addr().unwrap().to_string();
    let out = vmmon().args(["agent", "--listen", &addr]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

/// Resident memory as users see it: the API's (from the sweep, no mmap lock) equals
/// `/proc/PID/status`, and `vmmon maps --rss` gives the touched mapping its pages, like
/// `pmap -X`.
#[test]
fn real_ebpf_resident_memory_is_the_kernels() {
    use std::io::BufRead as _;
    let agent = Agent::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmmon-workload"))
        .args(["touch", "24", "60"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let at = u64::from_str_radix(line.trim(), 16).unwrap();
    let status_kb = |key: &str| -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        s.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
            * 1024
    };
    // The next sweeps see it idle: the API's figures must settle on the kernel's.
    let start = Instant::now();
    let view = loop {
        let (code, v) = agent.get(&format!("/api/v1/processes/{pid}"));
        let kernel = status_kb("RssAnon:") + status_kb("RssFile:") + status_kb("RssShmem:");
        if code == 200 && v["resident_bytes"].as_u64() == Some(kernel) {
            break v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "resident_bytes {} never equalled the kernel's {kernel}",
            v["resident_bytes"]
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        view["resident"]["anon_bytes"].as_u64().unwrap() >= 24 << 20,
        "{view}"
    );
    assert_eq!(
        view["resident"]["anon_bytes"].as_u64(),
        Some(status_kb("RssAnon:"))
    );
    assert_eq!(
        view["resident"]["swap_bytes"].as_u64(),
        Some(status_kb("VmSwap:"))
    );
    // `maps --rss`: the 24 MiB mapping is resident and anonymous in full, and the regions
    // add up to smaps' own totals.
    let out = maps(&agent, &["--rss", "--json", &pid.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let regions: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let regions = regions.as_array().unwrap();
    let touched = regions
        .iter()
        .find(|r| r["start"].as_u64() == Some(at))
        .expect("the touched mapping");
    assert_eq!(touched["rss_bytes"].as_u64(), Some(24 << 20), "{touched}");
    assert_eq!(
        touched["anonymous_bytes"].as_u64(),
        Some(24 << 20),
        "{touched}"
    );
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    let rollup_kb = |key: &str| -> u64 {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
            * 1024
    };
    let sum = |f: &str| -> u64 { regions.iter().map(|r| r[f].as_u64().unwrap()).sum() };
    assert_eq!(sum("rss_bytes"), rollup_kb("Rss:"));
    assert_eq!(sum("anonymous_bytes"), rollup_kb("Anonymous:"));
    let text = maps(&agent, &["--rss", &pid.to_string()]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.lines().nth(1).unwrap().contains("Rss"), "{text}");
    let _ = child.kill();
    let _ = child.wait();
}
