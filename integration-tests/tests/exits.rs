//! How processes end and what they hit first, with the real programs and the project's own
//! workload (`workloads/exits.c`, built with frame pointers): a process OOM-killed in a memory
//! cgroup (v1 where mounted, else v2; made and removed here) is told as `oom_kill` with the
//! call site that held its memory; an `mmap` refused under `RLIMIT_AS` is kept with its size,
//! its site and the kernel's figures then; a file deleted after it was mapped is counted as
//! `deleted_file`; exit codes and signals are told as such.

use serde_json::Value;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;
use vmmon_integration_tests::agent::{Agent, exit_within, vmmon, wait_until};
use vmmon_integration_tests::exact::kernel_figures;
use vmmon_integration_tests::output::said;
use vmmon_integration_tests::tmux::Tmux;

const MIB: u64 = 1 << 20;

/// The workload, built as `name` (its comm) into a fresh directory.
fn build(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/exits.c");
    let dir = std::env::temp_dir().join(format!("vmmon-exits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(name);
    let cc = Command::new("cc")
        .args(["-O2", "-fno-omit-frame-pointer", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .expect("a C compiler (cc)");
    assert!(cc.status.success(), "cc failed: {}", said(&cc));
    out
}

struct Workload {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Workload {
    fn start(path: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(path)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.stdout.read_line(&mut l).unwrap();
        l.trim().to_string()
    }

    fn say(&mut self, word: &str) {
        writeln!(self.stdin, "{word}").unwrap();
    }
}

/// A memory cgroup of `limit` bytes, removed when dropped: v1's memory hierarchy where it is
/// mounted, else a cgroup v2 with the memory controller.
struct MemoryCgroup {
    dir: PathBuf,
}

impl MemoryCgroup {
    fn new(limit: u64) -> Self {
        let name = format!("vmmon-test-oom-{}", std::process::id());
        let v1 = Path::new("/sys/fs/cgroup/memory");
        if v1.join("memory.limit_in_bytes").exists() {
            let dir = v1.join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            let cg = Self { dir };
            cg.write("memory.limit_in_bytes", &limit.to_string());
            // No swap instead of the OOM killer.
            let _ = std::fs::write(cg.dir.join("memory.swappiness"), "0");
            cg
        } else {
            let root = Path::new("/sys/fs/cgroup");
            let controllers =
                std::fs::read_to_string(root.join("cgroup.controllers")).unwrap_or_default();
            assert!(
                controllers.split_whitespace().any(|c| c == "memory"),
                "no memory cgroup here: neither v1's /sys/fs/cgroup/memory nor a v2 memory controller"
            );
            let _ = std::fs::write(root.join("cgroup.subtree_control"), "+memory");
            let dir = root.join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            let cg = Self { dir };
            cg.write("memory.max", &limit.to_string());
            let _ = std::fs::write(cg.dir.join("memory.swap.max"), "0");
            cg
        }
    }

    fn write(&self, file: &str, value: &str) {
        std::fs::write(self.dir.join(file), value)
            .unwrap_or_else(|e| panic!("writing {value} to {}/{file}: {e}", self.dir.display()));
    }

    fn enter(&self, pid: u32) {
        self.write("cgroup.procs", &pid.to_string());
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        // Its processes are gone (killed): the directory can go.
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("could not remove {}", self.dir.display());
    }
}

/// The exit of `pid` in `/api/v1/exits`, once there.
fn exit_of(agent: &Agent, pid: u32) -> Value {
    wait_until(
        &format!("pid {pid} in /api/v1/exits"),
        Duration::from_secs(20),
        || {
            let (_, all) = agent.get("/api/v1/exits?limit=100000");
            all.as_array()?.iter().find(|x| x["pid"] == pid).cloned()
        },
    )
}

/// The value of the series `name{labels}` in `text` (Prometheus' text format).
fn metric(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .find_map(|l| l.rsplit_once(' ')?.1.parse().ok())
}

/// The innermost frame's function of a site or refused call.
fn function(frames: &Value) -> &str {
    frames[0]["function"].as_str().unwrap_or("?")
}

#[test]
fn real_ebpf_an_oom_kill_in_a_memory_cgroup_is_told_with_the_site_that_held_the_memory() {
    let hog = build("vmmon-oomhog");
    let agent = Agent::start();
    let cgroup = MemoryCgroup::new(64 * MIB);
    let mut w = Workload::start(&hog, &["oom"]);
    let pid = w.pid();
    // Its maps read first: the frames of its sites are named from the mappings the ledger
    // knew as it left (a process gone before its first read has them marked `gone`).
    wait_until("the hog's maps read", Duration::from_secs(20), || {
        (agent.get(&format!("/api/v1/processes/{pid}")).0 == 200).then_some(())
    });
    cgroup.enter(pid);
    w.say("go");
    let status = exit_within(&mut w.child, Duration::from_secs(60));
    use std::os::unix::process::ExitStatusExt as _;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let x = exit_of(&agent, pid);
    assert_eq!(
        x["cause"],
        serde_json::json!({"kind": "oom_kill", "signal": 9, "name": "SIGKILL"}),
        "{x}"
    );
    // What held its memory: the 8 MiB mappings it filled, from exits_hog_grow.
    let top = &x["sites"][0];
    assert_eq!(function(&top["frames"]), "exits_hog_grow", "{x}");
    let held = top["bytes"].as_u64().unwrap();
    assert!(
        held.is_multiple_of(8 * MIB) && (32 * MIB..=80 * MIB).contains(&held),
        "{held} bytes: {x}"
    );
    assert!(x["sites"].as_array().unwrap().len() <= 9, "{x}");
    // Its group counts the kill (at the tally's next second), and so does its unit's.
    let text = wait_until("the comm's OOM kill", Duration::from_secs(10), || {
        let (_, text) = agent.get_text("/metrics");
        let kills = metric(&text, "vmmon_comm_oom_kills_total", "comm=\"vmmon-oomhog\"");
        (kills == Some(1.0)).then_some(text)
    });
    let units: f64 = text
        .lines()
        .filter(|l| l.starts_with("vmmon_unit_oom_kills_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert_eq!(units, 1.0, "{text}");
    // `vmmon top`'s exits view (x) in a real terminal says it too.
    let tmux = Tmux::new();
    tmux.start_top("top", &format!("--connect {}", agent.socket));
    tmux.wait_for("top", "the table", Duration::from_secs(20), |s| {
        s.contains("COMMAND")
    });
    tmux.run(&["send-keys", "-t", "top", "x"]);
    let line = format!("{pid} vmmon-oomhog");
    tmux.wait_for(
        "top",
        "the OOM kill in the exits view",
        Duration::from_secs(10),
        |s| {
            s.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.join(" ").contains(&line) && l.contains("oom_kill")
            })
        },
    );
    tmux.run(&["send-keys", "-t", "top", "q"]);
    tmux.assert_exited_and_restored("top", 0);
}

#[test]
fn real_ebpf_an_mmap_refused_under_rlimit_as_is_kept_with_its_size_site_and_the_figures_then() {
    let bin = build("vmmon-refuser");
    let agent = Agent::start();
    let mut w = Workload::start(&bin, &["refuse", "32"]);
    let pid = w.pid();
    assert_eq!(
        w.line(),
        "refused 12",
        "the 64 MiB mmap must fail with ENOMEM"
    );
    let (vm_size, _, mappings) = kernel_figures(pid).unwrap();
    let view = wait_until(
        &format!("pid {pid}'s refused call"),
        Duration::from_secs(20),
        || {
            let (code, v) = agent.get(&format!("/api/v1/processes/{pid}"));
            (code == 200 && v["refused"].is_object()).then_some(v)
        },
    );
    let r = &view["refused"];
    assert_eq!(r["first"], r["latest"], "one refused call: {view}");
    let c = &r["latest"];
    assert_eq!(c["call"], "mmap", "{view}");
    assert_eq!(c["bytes"], 64 * MIB, "{view}");
    assert_eq!(c["error"], "ENOMEM", "{view}");
    // The kernel's figures then are those /proc shows now (nothing changed since).
    assert_eq!(c["virtual_bytes"], vm_size, "{view}");
    assert_eq!(c["mapping_count"], mappings, "{view}");
    assert_eq!(function(&c["frames"]), "exits_refused_map", "{view}");
    assert_eq!(view["calls"]["enomem"], 1, "{view}");
    // `vmmon maps` says it.
    let out = vmmon()
        .args(["maps", "--connect", &agent.socket, &pid.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("refused (once): mmap of 64.0M ENOMEM") && text.contains("exits_refused_map"),
        "{text}"
    );
    // Numbers for everyone who may see the process; its call site only for who may read
    // its maps (nobody may not read root's).
    let nobody = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "curl"])
        .args(["-s", "-m", "10", "--unix-socket", &agent.socket])
        .arg(format!("http://localhost/api/v1/processes/{pid}"))
        .output()
        .unwrap();
    let seen: Value = serde_json::from_slice(&nobody.stdout).unwrap_or_default();
    assert_eq!(seen["refused"]["latest"]["bytes"], 64 * MIB, "{seen}");
    assert_eq!(seen["refused"]["latest"]["site"], Value::Null, "{seen}");
    assert_eq!(
        seen["refused"]["latest"]["frames"],
        serde_json::json!([]),
        "{seen}"
    );
    // It stays in its exit.
    w.say("exit");
    assert!(exit_within(&mut w.child, Duration::from_secs(10)).success());
    let x = exit_of(&agent, pid);
    assert_eq!(
        x["cause"],
        serde_json::json!({"kind": "exit", "code": 0}),
        "{x}"
    );
    assert_eq!(x["refused"]["latest"]["bytes"], 64 * MIB, "{x}");
    assert_eq!(
        function(&x["refused"]["latest"]["frames"]),
        "exits_refused_map",
        "{x}"
    );
}

#[test]
fn real_ebpf_a_file_deleted_after_it_was_mapped_is_counted_as_deleted_file() {
    let bin = build("vmmon-deleter");
    let agent = Agent::start();
    let file = std::env::temp_dir().join(format!("vmmon-deleted-{}.dat", std::process::id()));
    let mut w = Workload::start(&bin, &["deleted", file.to_str().unwrap()]);
    let pid = w.pid();
    assert!(w.line().starts_with("mapped"));
    let kinds = |v: &Value| {
        (
            v["mappings_by_kind"]["deleted_file"].as_u64().unwrap_or(0),
            v["bytes_by_kind"]["deleted_file"].as_u64().unwrap_or(0),
        )
    };
    // Mapped and still linked: a file like any other, and the kinds add up to the mappings.
    let view = wait_until("the mapped file", Duration::from_secs(20), || {
        let (code, v) = agent.get(&format!("/api/v1/processes/{pid}"));
        (code == 200 && v["mappings_by_kind"]["file"].as_u64() > Some(0)).then_some(v)
    });
    assert_eq!(kinds(&view), (0, 0), "{view}");
    let by_kind: u64 = view["mappings_by_kind"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(by_kind, view["mapping_count"].as_u64().unwrap(), "{view}");
    w.say("delete");
    assert_eq!(w.line(), "deleted");
    // The ledger learns it from its next /proc read of the process (the round robin's).
    let view = wait_until("the deleted file", Duration::from_secs(60), || {
        let (_, v) = agent.get(&format!("/api/v1/processes/{pid}"));
        (kinds(&v).0 > 0).then_some(v)
    });
    assert_eq!(kinds(&view), (1, MIB), "{view}");
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    assert_eq!(
        maps.lines().filter(|l| l.ends_with(" (deleted)")).count(),
        1,
        "{maps}"
    );
    let (_, regions) = agent.get(&format!("/api/v1/processes/{pid}/maps"));
    let deleted: Vec<&Value> = regions
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "deleted_file")
        .collect();
    assert_eq!(deleted.len(), 1, "{regions}");
    assert!(
        deleted[0]["path"].as_str().unwrap().ends_with(" (deleted)"),
        "{regions}"
    );
    let (_, text) = agent.get_text("/metrics");
    let series = metric(
        &text,
        "vmmon_comm_kind_mappings",
        "comm=\"vmmon-deleter\",kind=\"deleted_file\"",
    );
    assert_eq!(series, Some(1.0), "{text}");
    w.say("exit");
    assert!(exit_within(&mut w.child, Duration::from_secs(10)).success());
}

#[test]
fn real_ebpf_exit_codes_and_signals_are_told_as_such() {
    let bin = build("vmmon-exiter");
    let agent = Agent::start();
    let mut code = Command::new(&bin).args(["code", "3"]).spawn().unwrap();
    assert_eq!(
        exit_within(&mut code, Duration::from_secs(10)).code(),
        Some(3)
    );
    let mut killed = Workload::start(&bin, &["refuse", "1"]);
    assert_eq!(killed.line(), "refused 12");
    // SAFETY: a signal to the test's own child.
    unsafe { libc::kill(killed.pid() as i32, libc::SIGTERM) };
    exit_within(&mut killed.child, Duration::from_secs(10));
    let x = exit_of(&agent, code.id());
    assert_eq!(
        x["cause"],
        serde_json::json!({"kind": "exit", "code": 3}),
        "{x}"
    );
    let x = exit_of(&agent, killed.pid());
    assert_eq!(
        x["cause"],
        serde_json::json!({"kind": "signal", "signal": 15, "name": "SIGTERM", "core_dumped": false}),
        "{x}"
    );
}
