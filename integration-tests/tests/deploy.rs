//! `deploy/systemd/vmmon.service`: it passes `systemd-analyze verify`, `systemd-analyze
//! security` rates it no worse than MEDIUM, and (as root, with the real programs) the agent
//! runs with exactly the capabilities the unit grants it, as an unprivileged user, with
//! tracefs mounted as the unit has systemd mount it; without tracefs, it mounts it when it
//! may and otherwise says in one line what to do.

use std::path::{Path, PathBuf};
use std::process::Command;
use vmmon_integration_tests::agent::{Launch, mount_tracefs_as_systemd_does, vmmon, vmmon_bin};
use vmmon_integration_tests::output::said;

fn unit_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/systemd/vmmon.service");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The unit with ExecStart pointing at the binary just built (verify checks it exists).
fn unit_for_test() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmmon-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vmmon.service");
    let bin = vmmon_bin();
    let text = unit_text().replace("/usr/bin/vmmon", &bin.display().to_string());
    std::fs::write(&path, text).unwrap();
    path
}

fn systemd_analyze(args: &[&str], unit: &Path) -> (bool, String) {
    let out = Command::new("systemd-analyze")
        .args(args)
        .arg(unit)
        .output()
        .expect("systemd-analyze (Debian's systemd package) must be installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn systemd_unit_verifies_and_is_rated_no_worse_than_medium() {
    let unit = unit_for_test();
    let (ok, text) = systemd_analyze(&["verify"], &unit);
    assert!(
        ok && text.trim().is_empty(),
        "systemd-analyze verify: {text}"
    );
    let (_, text) = systemd_analyze(&["security", "--offline=true", "--no-pager"], &unit);
    let overall = text
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("no overall rating in: {text}"));
    let level = overall
        .split_whitespace()
        .find(|w| ["SAFE", "OK", "MEDIUM", "EXPOSED", "UNSAFE"].contains(w))
        .unwrap_or_else(|| panic!("no level in {overall:?}"));
    assert!(
        ["SAFE", "OK", "MEDIUM"].contains(&level),
        "systemd-analyze security rates the unit {level}: {overall}"
    );
    eprintln!("{overall}");
}

/// The capabilities the unit grants, as setpriv spells them (`+bpf,+perfmon,...`).
fn unit_capabilities() -> String {
    let text = unit_text();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("CapabilityBoundingSet="))
        .expect("the unit sets CapabilityBoundingSet");
    line.split_whitespace()
        .map(|c| format!("+{}", c.trim_start_matches("CAP_").to_lowercase()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs what follows in a mount namespace of its own without tracefs.
const WITHOUT_TRACEFS: [&str; 7] = [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    "umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; \
     ! grep -q ' tracefs ' /proc/self/mounts || exit 99; exec \"$@\"",
];

#[test]
fn real_ebpf_agent_mounts_tracefs_when_it_is_missing_and_may() {
    let mut wrapper = WITHOUT_TRACEFS.to_vec();
    wrapper.push("sh");
    let agent = match Launch::new().wrapper(&wrapper).try_start() {
        Ok(a) => a,
        Err(line) => panic!("the agent did not start without tracefs: {line}"),
    };
    let (code, body) = agent.get_text("/metrics");
    assert_eq!(code, 200);
    let attached = body
        .lines()
        .find_map(|l| l.strip_prefix("vmmon_programs_attached "))
        .and_then(|v| v.trim().parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no vmmon_programs_attached in {body}"));
    assert!(attached > 20, "{attached} programs attached");
}

#[test]
fn real_ebpf_agent_without_tracefs_and_the_right_to_mount_it_says_what_to_do() {
    let caps = unit_capabilities();
    let (inh, ambient, bounding) = (
        format!("--inh-caps=-all,{caps}"),
        format!("--ambient-caps=-all,{caps}"),
        format!("--bounding-set=-all,{caps}"),
    );
    let mut wrapper = WITHOUT_TRACEFS.to_vec();
    wrapper.extend([
        "sh",
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        &inh,
        &ambient,
        &bounding,
    ]);
    let line = match Launch::new().wrapper(&wrapper).try_start() {
        Ok(_) => panic!("the agent started without tracefs and without CAP_SYS_ADMIN"),
        Err(line) => line,
    };
    assert!(
        line.starts_with("vmmon: tracefs is not mounted")
            && line.contains("mount -t tracefs nodev /sys/kernel/tracing"),
        "{line}"
    );
}

/// The nice of agent `pid`'s thread that drains the ring (`vmmon-ledger`).
fn ledger_nice(pid: u32) -> Option<i32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
        .find(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "vmmon-ledger")
        })
        .and_then(|t| vmmon::procfs::nice_of(&std::fs::read_to_string(t.path().join("stat")).ok()?))
}

/// With CAP_SYS_NICE (root, or a pod's SYS_NICE), the agent raises the thread that drains
/// the ring itself, and only that one; `pipeline.priority_boost = 0` leaves it.
#[test]
fn real_ebpf_the_ledgers_thread_runs_at_nice_minus_five_and_only_it() {
    let agent = Launch::new().start();
    assert_eq!(ledger_nice(agent.pid()), Some(-5));
    let main = std::fs::read_to_string(format!("/proc/{}/stat", agent.pid())).unwrap();
    assert_eq!(
        vmmon::procfs::nice_of(&main),
        Some(0),
        "the API's threads are not raised"
    );
    drop(agent);
    let plain = Launch::new().args(&["--priority-boost", "0"]).start();
    assert_eq!(ledger_nice(plain.pid()), Some(0));
}

#[test]
fn real_ebpf_agent_runs_with_only_the_units_capabilities() {
    mount_tracefs_as_systemd_does();
    let caps = unit_capabilities();
    assert!(
        caps.contains("+bpf") && !caps.contains("sys_admin"),
        "{caps}"
    );
    // As the unit runs it: at nice -5 (Nice=), with only its capabilities.
    let started = Launch::new()
        .wrapper(&[
            "nice",
            "-n",
            "-5",
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            &format!("--inh-caps=-all,{caps}"),
            &format!("--ambient-caps=-all,{caps}"),
            &format!("--bounding-set=-all,{caps}"),
        ])
        .try_start();
    let agent = match started {
        Ok(a) => a,
        Err(line) => panic!("agent with {caps} did not start: {line}"),
    };
    assert_eq!(ledger_nice(agent.pid()), Some(-5), "the unit's Nice=-5");
    // The ledger reads /proc of processes it does not own: ask for our own (root's) maps.
    let me = std::process::id().to_string();
    let maps = vmmon()
        .args(["maps", &me, "--connect", &agent.socket])
        .output()
        .unwrap();
    drop(agent);
    // Bootstrap may still be reading; a clear not-in-ledger answer is acceptable, a refusal is not.
    let err = String::from_utf8_lossy(&maps.stderr);
    assert!(!err.contains("no vmmon agent answers"), "{err}");
}

fn promtool(args: &[&str]) -> (bool, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus");
    let out = Command::new("promtool")
        .args(args)
        .current_dir(&dir)
        .output()
        .expect("promtool must be installed: run the tests with `cargo xtask test`");
    (out.status.success(), said(&out))
}

#[test]
fn prometheus_config_and_alert_rules_check_and_pass_their_unit_tests() {
    let (ok, text) = promtool(&["check", "config", "prometheus.yml"]);
    assert!(ok, "promtool check config: {text}");
    let (ok, text) = promtool(&["check", "rules", "alerts.yml"]);
    assert!(
        ok && text.contains("10 rules found"),
        "promtool check rules: {text}"
    );
    // Every rule has a test that fires it and one that does not.
    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/alerts.yml"),
    )
    .unwrap();
    let tests = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus/alerts_test.yml"),
    )
    .unwrap();
    for alert in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
    {
        let tested = tests.matches(&format!("alertname: {alert}")).count();
        assert!(
            tested >= 2,
            "{alert} has {tested} test cases; it needs one firing and one quiet"
        );
    }
    let (ok, text) = promtool(&["test", "rules", "alerts_test.yml"]);
    assert!(ok, "promtool test rules: {text}");
}

#[test]
fn kubernetes_daemonset_is_one_agent_per_node_scraped_and_no_more_privileged_than_the_unit() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes/vmmon-daemonset.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    for want in [
        "kind: DaemonSet",
        "hostPID: true",
        "prometheus.io/scrape: \"true\"",
        "prometheus.io/port: \"9464\"",
        "prometheus.io/path: /metrics",
        "privileged: false",
        "allowPrivilegeEscalation: false",
        "readOnlyRootFilesystem: true",
        "drop: [\"ALL\"]",
        "path: /healthz",
        "mountPath: /run/vmmon",
        "emptyDir:",
    ] {
        assert!(text.contains(want), "the DaemonSet lacks {want:?}");
    }
    for never in ["--api-tcp", "api.tcp", "hostNetwork"] {
        assert!(
            !text.contains(never),
            "the DaemonSet must expose /metrics only, not {never:?}"
        );
    }
    // The same capabilities as the systemd unit, no more, but SYS_NICE: the unit sets
    // Nice=-5 itself, a pod cannot, so the agent raises its ledger's thread there.
    let added: Vec<String> = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("add: ["))
        .expect("capabilities added")
        .trim_end_matches(']')
        .split(',')
        .map(|c| format!("+{}", c.trim().trim_matches('"').to_lowercase()))
        .collect();
    let mut added = added
        .join(",")
        .split(',')
        .map(str::to_string)
        .collect::<Vec<_>>();
    let mut unit: Vec<String> = unit_capabilities().split(',').map(str::to_string).collect();
    assert!(
        text.contains("SYS_NICE") && unit_text().contains("Nice=-5"),
        "the pod raises its own priority; the unit has systemd do it"
    );
    unit.push("+sys_nice".into());
    added.sort();
    unit.sort();
    assert_eq!(
        added, unit,
        "DaemonSet and systemd unit grant different capabilities"
    );
}

#[test]
fn man_page_renders_cleanly_and_default_config_is_valid() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/vmmon.1");
    let out = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&page)
        .output()
        .expect("groff");
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && warnings.trim().is_empty(),
        "groff: {warnings}"
    );
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/vmmon.toml");
    let out = vmmon()
        .args(["config", "check"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The shipped file spells out the defaults.
    let text = String::from_utf8(out.stdout).unwrap();
    let defaults = vmmon()
        .args(["config", "check", "/dev/null"])
        .output()
        .unwrap();
    assert_eq!(text, String::from_utf8(defaults.stdout).unwrap());
}
