//! `vmmon top` as a person meets it, in a real terminal (tmux, Debian's package): the agent
//! runs with the real programs, a workload grows its address space, and the view, sorted by
//! growth, puts that workload first. The agent then dies and comes back (the view says so and
//! recovers), and `q` leaves the terminal as it was. Without an agent, `--once` runs the
//! pipeline in-process.

use std::process::{Command, Stdio};
use std::time::Duration;
use vmmon_integration_tests::agent::{
    Killed, Launch, free_port, get_json_at, vmmon_bin, wait_until,
};
use vmmon_integration_tests::collect::require_root;
use vmmon_integration_tests::tmux::Tmux;

/// A workload mapping 64 MiB (untouched) every 100 ms for `seconds`: far faster than
/// anything else on the machine.
fn grow_fast(seconds: u32) -> Killed {
    Killed(
        Command::new(env!("CARGO_BIN_EXE_vmmon-workload"))
            .args(["grow", &seconds.to_string(), "64"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// The pid at the start of the first row under the header line.
fn first_row_pid(screen: &str) -> Option<u32> {
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("PID") && l.contains("COMMAND"))?;
    lines
        .get(header + 1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn real_ebpf_top_in_tmux_puts_the_growing_process_first_and_quits_cleanly() {
    require_root();
    let agent = Launch::new().start();
    let addr = agent.socket.clone();
    let grower = grow_fast(120);
    let pid = grower.pid();
    wait_until(
        "the agent sees the workload grow",
        Duration::from_secs(30),
        || {
            let v = get_json_at(&addr, &format!("/api/v1/processes/{pid}"))?;
            (v["growth_bytes_per_second"].as_i64()? > 0).then_some(())
        },
    );

    let tmux = Tmux::new();
    tmux.start_top("top", &format!("--connect {addr}"));
    let screen = tmux.wait_for(
        "top",
        "the growing workload first in the table",
        Duration::from_secs(30),
        |s| first_row_pid(s) == Some(pid),
    );
    assert!(screen.contains(&format!("agent {addr}")), "{screen}");
    assert!(screen.contains("sort GROW/s ↓"), "{screen}");
    assert!(screen.contains("vmmon-workload"), "{screen}");
    assert_eq!(
        tmux.display("top", "#{alternate_on}"),
        "1",
        "the view uses the alternate screen"
    );

    // The agent dies: the view says so and keeps retrying; a new agent brings it back.
    drop(agent);
    let screen = tmux.wait_for(
        "top",
        "the view says the agent is gone",
        Duration::from_secs(15),
        |s| s.contains("NOT ANSWERING") && s.contains("retrying"),
    );
    assert_eq!(
        first_row_pid(&screen),
        Some(pid),
        "the last figures stay: {screen}"
    );
    let _agent = Launch::new().socket(&addr).start();
    tmux.wait_for("top", "the view recovers", Duration::from_secs(30), |s| {
        !s.contains("NOT ANSWERING") && first_row_pid(s) == Some(pid)
    });

    // Too small a terminal gets a message, and the table comes back when it grows again.
    tmux.run(&["resize-window", "-t", "top", "-x", "30", "-y", "6"]);
    tmux.wait_for(
        "top",
        "the too-small message",
        Duration::from_secs(10),
        |s| s.contains("needs at least"),
    );
    tmux.run(&["resize-window", "-t", "top", "-x", "80", "-y", "24"]);
    tmux.wait_for("top", "the table at 80x24", Duration::from_secs(10), |s| {
        first_row_pid(s) == Some(pid) && s.contains("GROW/1m")
    });

    // q: top exits 0 and the terminal is as it was.
    tmux.run(&["send-keys", "-t", "top", "q"]);
    tmux.assert_exited_and_restored("top", 0);

    // SIGTERM (a closing session, a kill): the same.
    tmux.start_top("term", &format!("--connect {addr}"));
    tmux.wait_for("term", "the table", Duration::from_secs(15), |s| {
        first_row_pid(s).is_some()
    });
    let top = top_pid(&tmux, "term");
    // SAFETY: signalling the top process this test started.
    unsafe { libc::kill(top, libc::SIGTERM) };
    tmux.assert_exited_and_restored("term", 0);

    // The terminal goes away under it (the tmux session is killed): top exits, it does not
    // linger or spin on the dead terminal.
    tmux.start_top("hup", &format!("--connect {addr}"));
    tmux.wait_for("hup", "the table", Duration::from_secs(15), |s| {
        first_row_pid(s).is_some()
    });
    let top = top_pid(&tmux, "hup");
    tmux.run(&["kill-session", "-t", "hup"]);
    wait_until(
        "top exits with its terminal",
        Duration::from_secs(10),
        || {
            let stat = std::fs::read_to_string(format!("/proc/{top}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for its reaper.
            (stat.is_empty()
                || stat
                    .rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z')))
            .then_some(())
        },
    );
}

/// The pid of `vmmon top` in a session started by `start_top` (the shell's child).
fn top_pid(tmux: &Tmux, session: &str) -> i32 {
    let sh: u32 = tmux.display(session, "#{pane_pid}").parse().unwrap();
    let children = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children")).unwrap();
    children.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn real_ebpf_top_once_without_an_agent_runs_the_pipeline_in_process() {
    require_root();
    // A configuration whose agent address nobody listens on.
    let dir = std::env::temp_dir().join(format!("vmmon-top-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("vmmon.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nlisten = \"127.0.0.1:{}\"\n[api]\nsocket = \"{}/none.sock\"\n",
            free_port(),
            dir.display()
        ),
    )
    .unwrap();
    let grower = grow_fast(60);
    let out = Command::new(vmmon_bin())
        .args(["top", "--once", "--filter", "vmmon-workload", "--config"])
        .arg(&config)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(text.starts_with("vmmon top · in-process"), "{text}");
    assert!(!text.contains('\x1b'), "plain text only: {text:?}");
    let row = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&grower.pid().to_string()))
        .unwrap_or_else(|| panic!("the workload is not in:\n{text}"));
    assert!(row.contains("vmmon-workload"), "{row}");
    // Two samples a second apart: the workload's ten mmaps a second show as a rate.
    // Columns are fixed-width and right-aligned: the rate ends where its header does.
    let header = text.lines().nth(1).unwrap();
    let end = header.find("MMAP/s").unwrap() + "MMAP/s".len();
    let rate: f64 = row[..end]
        .split_whitespace()
        .last()
        .and_then(|c| c.parse().ok())
        .unwrap_or(-1.0);
    assert!(rate > 0.0, "mmap rate {rate} in {row}");
    let _ = std::fs::remove_dir_all(&dir);
}
