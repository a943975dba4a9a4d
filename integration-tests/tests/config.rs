//! The configuration as a user meets it: `vmmon config check`, the agent refusing a bad file
//! or flag in one line, and (as root, with the real programs) a SIGHUP reload that keeps the
//! running config when the new file is bad.

use std::path::PathBuf;
use std::process::Output;
use vmmon_integration_tests::agent::{Launch, free_port, vmmon};

fn write(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmmon-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn one_line_error(out: &Output, wants: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    for w in wants {
        assert!(err.contains(w), "{err:?} lacks {w:?}");
    }
}

#[test]
fn config_check_prints_effective_settings() {
    let p = write("ok.toml", "[agent]\nresyncs_per_second = 7\n");
    let out = vmmon().args(["config", "check"]).arg(&p).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("resyncs_per_second = 7"), "{text}");
    assert!(
        text.contains("listen = \"127.0.0.1:9464\""),
        "defaults filled in: {text}"
    );
    assert!(text.contains("ring_buffer_bytes = 8388608"), "{text}");
}

#[test]
fn config_check_rejects_bad_files_in_one_line() {
    let p = write("port.toml", "[agent]\nlisten = \"127.0.0.1:70000\"\n");
    let out = vmmon().args(["config", "check"]).arg(&p).output().unwrap();
    one_line_error(&out, &[p.to_str().unwrap(), "agent.listen", "port 70000"]);
    let p = write("unknown.toml", "[agent]\nlisen = \"127.0.0.1:1\"\n");
    let out = vmmon().args(["config", "check"]).arg(&p).output().unwrap();
    one_line_error(&out, &[p.to_str().unwrap(), "unknown field `lisen`"]);
    let p = write("type.toml", "[pipeline]\npoll_interval_ms = \"often\"\n");
    let out = vmmon().args(["config", "check"]).arg(&p).output().unwrap();
    one_line_error(&out, &[p.to_str().unwrap(), "invalid type"]);
    let out = vmmon()
        .args(["config", "check", "/nonexistent/vmmon.toml"])
        .output()
        .unwrap();
    one_line_error(&out, &["cannot read config file /nonexistent/vmmon.toml"]);
}

#[test]
fn agent_refuses_a_bad_file_or_flag_before_loading_anything() {
    let p = write("agent-bad.toml", "[agent]\nresyncs_per_second = 0\n");
    let out = vmmon()
        .arg("agent")
        .arg("--config")
        .arg(&p)
        .output()
        .unwrap();
    one_line_error(&out, &[p.to_str().unwrap(), "agent.resyncs_per_second"]);
    let out = vmmon()
        .args(["agent", "--config", "/nonexistent/vmmon.toml"])
        .output()
        .unwrap();
    one_line_error(&out, &["cannot read config file /nonexistent/vmmon.toml"]);
    let ok = write("agent-ok.toml", "");
    let out = vmmon()
        .arg("agent")
        .arg("--config")
        .arg(&ok)
        .args(["--listen", "127.0.0.1:99999"])
        .output()
        .unwrap();
    one_line_error(&out, &["command line", "agent.listen", "port 99999"]);
}

#[test]
fn real_ebpf_agent_reload_keeps_running_config_on_a_bad_file() {
    let port = free_port();
    let p = write(
        "reload.toml",
        &format!("[agent]\nlisten = \"127.0.0.1:{port}\"\n"),
    );
    let agent = Launch::new().global(&["-v"]).config(&p, port).start();
    std::fs::write(&p, "[agent]\nresyncs_per_second = -1\n").unwrap();
    agent.signal(libc::SIGHUP);
    let line = agent.wait_for_log("config reload failed");
    assert!(line.contains("keeping the running config"), "{line}");
    std::fs::write(
        &p,
        format!("[agent]\nlisten = \"127.0.0.1:{port}\"\nresyncs_per_second = 5\n"),
    )
    .unwrap();
    agent.signal(libc::SIGHUP);
    agent.wait_for_log("config reloaded");
    // Still serving after both reloads.
    let out = vmmon()
        .args(["maps", "1", "--connect", &agent.socket])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("no vmmon agent answers"), "{err}");
    assert!(agent.stop().success());
}
