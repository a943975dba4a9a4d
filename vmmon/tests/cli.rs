//! The `vmmon` command as a user meets it: bad input gets one clear line and a non-zero exit;
//! `trace --json` run as root with the real programs prints parseable events and, on SIGTERM,
//! a summary.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

fn vmmon() -> Command {
    Command::new(env!("CARGO_BIN_EXE_vmmon"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run vmmon")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// One line on stderr, naming `what`, and a non-zero exit.
fn assert_one_line_error(out: &Output, what: &str) {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "expected failure, got success: {err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.contains(what), "{err:?} does not mention {what:?}");
    assert!(!err.contains("panicked"), "{err}");
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// vmmon as nobody with no capabilities: as root, through setpriv; otherwise as is.
fn unprivileged() -> Command {
    if euid() != 0 {
        return vmmon();
    }
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
    ])
    .arg(env!("CARGO_BIN_EXE_vmmon"));
    c
}

/// Waits for `child` at most `limit`; kills it and returns `None` when it does not exit.
fn wait_at_most(child: &mut std::process::Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn unknown_syscall_name_is_rejected() {
    let out = run(vmmon().args(["trace", "--syscall", "mmapp"]));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("invalid value 'mmapp'"), "{err}");
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn unknown_flag_is_rejected() {
    let out = run(vmmon().args(["trace", "--bogus"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unexpected argument '--bogus'"));
}

#[test]
fn bad_ring_buffer_size_is_one_line() {
    let out = run(vmmon().args(["trace", "--ring-buffer-bytes", "1000"]));
    assert_one_line_error(&out, "ring buffer size 1000 is invalid");
}

#[test]
fn dead_pid_is_one_line() {
    // Above the kernel's largest pid_max, so never a live process.
    let out = run(vmmon().args(["trace", "--pid", "4194305"]));
    assert_one_line_error(&out, "--pid 4194305: no such process");
}

#[test]
fn unprivileged_user_is_told_to_run_as_root() {
    let out = run(unprivileged().arg("trace"));
    assert_one_line_error(&out, "needs CAP_BPF and CAP_PERFMON");
}

#[test]
fn top_bad_connect_addresses_are_one_line() {
    let out = run(vmmon().args(["top", "--once", "--connect", "nonsense"]));
    assert_one_line_error(
        &out,
        "--connect \"nonsense\" is neither a socket path nor HOST:PORT",
    );
    let out = run(vmmon().args(["top", "--once", "--connect", "/nonexistent/api.sock"]));
    assert_one_line_error(&out, "no vmmon agent answers at /nonexistent/api.sock");
    let out = run(vmmon().args(["top", "--once", "--connect", "no-such-host.invalid:9464"]));
    assert_one_line_error(&out, "cannot resolve the host");
    // Port 1 on loopback: nothing listens there.
    let out = run(vmmon().args(["top", "--once", "--connect", "127.0.0.1:1"]));
    assert_one_line_error(&out, "no vmmon agent answers at 127.0.0.1:1");
    let out = run(vmmon().args(["top", "--interval", "0"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("between 0.1 and 3600"));
    let out = run(vmmon().args(["top", "--sort", "size"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("one of: pid, user, virt, res, growth"));
}

#[test]
fn top_against_something_that_is_not_an_agent_is_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read as _, Write as _};
            let mut stream = stream;
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
        }
    });
    let out = run(vmmon().args(["top", "--once", "--connect", &addr]));
    assert_one_line_error(&out, "answers, but not as a vmmon agent");
}

#[test]
fn top_without_a_terminal_points_to_once() {
    let out = run(vmmon()
        .args(["top", "--connect", "127.0.0.1:1"])
        .stdin(Stdio::null()));
    assert_one_line_error(&out, "needs a terminal");
    assert!(stderr(&out).contains("--once"));
}

#[test]
fn top_with_no_agent_and_no_privilege_says_both() {
    // A configuration pointing at a socket nobody listens on, readable by nobody.
    let dir = std::env::temp_dir().join(format!("vmmon-top-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("vmmon.toml");
    let socket = dir.join("none.sock");
    std::fs::write(
        &config,
        format!("[api]\nsocket = \"{}\"\n", socket.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(unprivileged()
        .args(["top", "--once", "--config"])
        .arg(&config));
    assert_one_line_error(
        &out,
        &format!("no vmmon agent answers at {}", socket.display()),
    );
    assert!(stderr(&out).contains("needs root"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn real_ebpf_trace_json_then_sigterm_summary() {
    assert_eq!(
        euid(),
        0,
        "this test loads the real eBPF programs: run it as root (cargo xtask test)"
    );
    // A copy of `true` under a name nothing else on the machine has.
    let dir = std::env::temp_dir().join(format!("vmmon-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("vmmontrue");
    std::fs::copy("/bin/true", &prog).unwrap();

    let mut trace = vmmon()
        .args(["trace", "--json", "--comm", "vmmontrue"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(trace.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("programs attached"), "{line}");

    let status = Command::new(&prog).status().unwrap();
    assert!(status.success());
    // The event lines go out on the next drain; give the poll a moment, then stop.
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(trace.id() as i32, libc::SIGTERM) };
    let mut stdout = trace.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    // Hang guard: a trace that does not stop within a minute of SIGTERM fails the test (and
    // is killed) instead of hanging it.
    let status = wait_at_most(&mut trace, Duration::from_secs(60));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = status.unwrap_or_else(|| panic!("hang guard: trace ignored SIGTERM: {rest}"));
    assert!(status.success(), "trace exited {status:?}: {rest}");

    let events: Vec<serde_json::Value> = reader
        .join()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
        .collect();
    let exec = &events[0];
    assert_eq!(exec["event"], "exec", "{events:#?}");
    assert_eq!(exec["filename"], prog.to_str().unwrap());
    let pid = exec["tgid"].as_u64().unwrap();
    assert!(
        events
            .iter()
            .all(|e| e["comm"] == "vmmontrue" && e["tgid"] == pid)
    );
    let mmap = events
        .iter()
        .find(|e| e["event"] == "mmap" && e["flag_names"] == "MAP_PRIVATE|MAP_ANONYMOUS")
        .unwrap_or_else(|| panic!("no anonymous mmap in {events:#?}"));
    for field in [
        "ts_ns",
        "tid",
        "addr",
        "len",
        "prot",
        "prot_names",
        "flags",
        "fd",
        "offset",
        "ret",
    ] {
        assert!(mmap.get(field).is_some(), "mmap lacks {field}: {mmap}");
    }
    assert!(
        mmap["ret"].as_i64().unwrap() > 0 && mmap["error"].is_null(),
        "{mmap}"
    );
    let last = events.last().unwrap();
    assert_eq!(last["event"], "exit");
    assert_eq!(last["group_dead"], true);

    assert!(rest.contains("detached;"), "no summary: {rest}");
    assert!(rest.contains(" 0 dropped in the kernel"), "{rest}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reload_checks_the_file_and_the_pid_before_signalling() {
    let dir = std::env::temp_dir().join(format!("vmmon-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[agent]\nresyncs_per_second = 0\n").unwrap();
    // A broken file fails the reload, naming the key, before anything is signalled.
    let me = std::process::id().to_string();
    let out = run(vmmon().args(["reload", "--pid", &me, "--config"]).arg(&bad));
    assert_one_line_error(&out, "agent.resyncs_per_second");
    assert!(stderr(&out).contains("keeps its running configuration"));
    let good = dir.join("good.toml");
    std::fs::write(&good, "[agent]\nresyncs_per_second = 5\n").unwrap();
    // This test is not a vmmon agent: no signal is sent to it.
    let out = run(vmmon()
        .args(["reload", "--pid", &me, "--config"])
        .arg(&good));
    assert_one_line_error(&out, "not a vmmon agent");
    let out = run(vmmon()
        .args(["reload", "--pid", "4194305", "--config"])
        .arg(&good));
    assert_one_line_error(&out, "pid 4194305 is not running");
    let _ = std::fs::remove_dir_all(&dir);
}
