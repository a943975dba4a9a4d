//! `vmmon top`'s part of `cargo xtask bench`: what the live view costs. The agent runs with
//! 1,000 extra processes; `vmmon top` runs against it in a tmux terminal refreshing every
//! 250 ms. Measured: top's CPU per refresh, and the agent's CPU with and without top asking.

use crate::bench_agent::{Agent, Procs};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SECONDS: u64 = 10;
const INTERVAL_S: f64 = 0.25;

/// A process's user+system CPU seconds, from `/proc/PID/stat`.
fn cpu_s(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_comm = stat.rsplit_once(')').context("stat without comm")?.1;
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the comm.
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks / hz)
}

/// CPU seconds `pid` used over `SECONDS`.
fn cpu_over(pid: u32) -> Result<f64> {
    let before = cpu_s(pid)?;
    std::thread::sleep(Duration::from_secs(SECONDS));
    Ok(cpu_s(pid)? - before)
}

pub struct Figures {
    pub processes: u64,
    pub top_ms_per_refresh: f64,
    pub agent_idle_pct: f64,
    pub agent_with_top_pct: f64,
}

pub fn run(bin: &Path) -> Result<Figures> {
    eprintln!("xtask: bench: vmmon top against the agent with 1,000 extra processes");
    let mut procs = Procs::start(bin, 1000)?;
    let agent = Agent::start(bin)?;
    let s = agent.wait(Duration::from_secs(60), |s| s["bootstrap_ms"].is_u64())?;
    let processes = s["processes"].as_u64().unwrap_or(0);
    std::thread::sleep(Duration::from_secs(2));
    let agent_idle = cpu_over(agent.child.id())?;

    let socket = format!("vmmon-bench-{}", std::process::id());
    let tmux = |args: &[&str]| -> Result<String> {
        let out = Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .context("running tmux (apt-get install tmux)")?;
        if !out.status.success() {
            bail!("tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let top = format!(
        "exec {} top --connect {} --interval {INTERVAL_S}",
        bin.join("vmmon").display(),
        agent.api()
    );
    tmux(&[
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "40",
        "sh",
        "-c",
        &top,
    ])?;
    let result = (|| {
        let start = Instant::now();
        while !tmux(&["capture-pane", "-p"])?.contains("COMMAND") {
            if start.elapsed() > Duration::from_secs(20) {
                bail!("vmmon top did not draw its table");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let top_pid: u32 = tmux(&["display", "-p", "#{pane_pid}"])?.parse()?;
        let before_top = cpu_s(top_pid)?;
        let agent_with_top = cpu_over(agent.child.id())?;
        let top_cpu = cpu_s(top_pid)? - before_top;
        Ok((top_cpu, agent_with_top))
    })();
    let _ = tmux(&["kill-server"]);
    let (top_cpu, agent_with_top) = result?;
    drop(agent);
    procs.stop()?;
    let refreshes = SECONDS as f64 / INTERVAL_S;
    Ok(Figures {
        processes,
        top_ms_per_refresh: top_cpu * 1000.0 / refreshes,
        agent_idle_pct: agent_idle * 100.0 / SECONDS as f64,
        agent_with_top_pct: agent_with_top * 100.0 / SECONDS as f64,
    })
}

pub fn report(f: &Figures) {
    println!();
    println!(
        "vmmon top bench ({} processes, a refresh every {INTERVAL_S} s, {SECONDS} s)",
        f.processes
    );
    println!(
        "vmmon top: {:.1} ms of CPU per refresh ({:.1}% of a core at the default 1 s)",
        f.top_ms_per_refresh,
        f.top_ms_per_refresh / 10.0
    );
    println!(
        "agent CPU: {:.1}% of a core without top, {:.1}% while top refreshes 4 times a second",
        f.agent_idle_pct, f.agent_with_top_pct
    );
}
