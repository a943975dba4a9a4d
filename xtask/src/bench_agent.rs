//! The ledger's part of `cargo xtask bench`: cost per applied event, the agent's bootstrap
//! time for 1,000 processes, and its resident memory with 10,000 live processes and after
//! they exit.

use crate::cmd;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// What the ledger benchmarks measured.
pub struct Figures {
    pub ledger_ns: f64,
    pub bootstrap_ms: u64,
    pub bootstrap_procs: u64,
    pub idle_rss_kib: u64,
    pub live_rss_kib: u64,
    pub live_procs: u64,
    pub after_rss_kib: u64,
}

/// Whether the agent of `exe` serves its API on a socket (`--socket`; builds before it
/// serve it on the TCP port).
fn has_socket(exe: &Path) -> Result<bool> {
    let help = Command::new(exe)
        .args(["agent", "--help"])
        .output()
        .context("asking vmmon agent --help")?;
    Ok(String::from_utf8_lossy(&help.stdout).contains("--socket"))
}

/// `GET path` on a Unix socket (HTTP/1.0: the agent answers and closes): the body of a
/// 200 answer.
fn get_on_socket(socket: &str, path: &str) -> Result<String> {
    use std::io::Read as _;
    let mut stream = std::os::unix::net::UnixStream::connect(socket)
        .with_context(|| format!("connecting to {socket}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    let (head, body) = reply.split_once("\r\n\r\n").context("no HTTP answer")?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_string())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ledger_cost(bin: &Path) -> Result<f64> {
    let mut runs = Vec::new();
    for _ in 0..3 {
        let out = Command::new(bin.join("vmmon-bench-ledger"))
            .arg("1000000")
            .output()
            .context("running vmmon-bench-ledger")?;
        runs.push(String::from_utf8_lossy(&out.stdout).trim().parse::<f64>()?);
    }
    Ok(median(runs))
}

/// A running agent on a free loopback port (its `/metrics`) and, for builds that have one,
/// a socket of its own (its API; older builds serve the API on the port).
pub struct Agent {
    pub child: Child,
    pub addr: String,
    pub socket: Option<String>,
}

impl Agent {
    /// The `vmmon` built in `bin`.
    pub fn start(bin: &Path) -> Result<Self> {
        Self::start_exe(&bin.join("vmmon"))
    }

    /// The agent of the `vmmon` binary `exe` (another build, to compare with).
    pub fn start_exe(exe: &Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let socket = has_socket(exe)?
            .then(|| format!("/tmp/vmmon-bench-{}-{port}/api.sock", std::process::id()));
        let mut command = Command::new(exe);
        command.args(["agent", "--listen", &addr]);
        if let Some(s) = &socket {
            command.args(["--socket", s]);
        }
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .context("starting vmmon agent")?;
        let mut err = BufReader::new(child.stderr.take().expect("piped"));
        let mut line = String::new();
        err.read_line(&mut line)?;
        if !line.contains("attached") {
            bail!("vmmon agent did not start: {line}");
        }
        std::thread::spawn(move || for _ in err.lines() {});
        Ok(Self {
            child,
            addr,
            socket,
        })
    }

    /// Where a client reaches its API (what `--connect` takes).
    pub fn api(&self) -> &str {
        self.socket.as_deref().unwrap_or(&self.addr)
    }

    pub fn status(&self) -> Result<serde_json::Value> {
        let Some(socket) = &self.socket else {
            let mut resp = ureq::get(&format!("http://{}/api/v1/status", self.addr)).call()?;
            return Ok(resp.body_mut().read_json()?);
        };
        let body = get_on_socket(socket, "/api/v1/status")?;
        Ok(serde_json::from_str(&body)?)
    }

    /// Waits until `pred` holds for the status, up to `limit`.
    pub fn wait(
        &self,
        limit: Duration,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> Result<serde_json::Value> {
        let start = Instant::now();
        loop {
            let s = self.status()?;
            if pred(&s) {
                return Ok(s);
            }
            if start.elapsed() > limit {
                bail!("the agent did not reach the expected state in {limit:?}: {s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
            .context("no VmRSS")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = cmd::output(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
        let _ = self.child.wait();
    }
}

/// `n` idle processes, held until dropped.
pub struct Procs {
    child: Child,
    stdin: Option<ChildStdin>,
    out: BufReader<std::process::ChildStdout>,
    count: u64,
}

impl Procs {
    pub fn start(bin: &Path, n: u64) -> Result<Self> {
        let mut child = Command::new(bin.join("vmmon-bench-procs"))
            .arg(n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting vmmon-bench-procs")?;
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        out.read_line(&mut line)?;
        let count = line
            .strip_prefix("ready ")
            .and_then(|c| c.trim().parse().ok())
            .with_context(|| format!("vmmon-bench-procs said {line:?}"))?;
        Ok(Self {
            child,
            stdin,
            out,
            count,
        })
    }

    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut stdin) = self.stdin.take() {
            writeln!(stdin)?;
        }
        let mut line = String::new();
        self.out.read_line(&mut line)?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

pub fn run(bin: &Path) -> Result<Figures> {
    eprintln!("xtask: bench: ledger cost per event");
    let ledger_ns = ledger_cost(bin)?;

    eprintln!("xtask: bench: bootstrap with 1,000 extra processes");
    let mut thousand = Procs::start(bin, 1000)?;
    let agent = Agent::start(bin)?;
    let s = agent.wait(Duration::from_secs(60), |s| s["bootstrap_ms"].is_u64())?;
    let bootstrap_ms = s["bootstrap_ms"].as_u64().unwrap_or(0);
    let bootstrap_procs = s["processes"].as_u64().unwrap_or(0);
    drop(agent);
    thousand.stop()?;

    eprintln!("xtask: bench: memory with 10,000 live processes");
    let agent = Agent::start(bin)?;
    let base = agent.wait(Duration::from_secs(60), |s| s["bootstrap_ms"].is_u64())?["processes"]
        .as_u64()
        .unwrap_or(0);
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss_kib = agent.rss_kib()?;
    let mut many = Procs::start(bin, 10_000)?;
    let want = base + many.count;
    let s = agent.wait(Duration::from_secs(120), |s| {
        s["processes"].as_u64().unwrap_or(0) >= want
    })?;
    std::thread::sleep(Duration::from_secs(1));
    let live_rss_kib = agent.rss_kib()?;
    let live_procs = s["processes"].as_u64().unwrap_or(0);
    many.stop()?;
    agent.wait(Duration::from_secs(120), |s| {
        s["processes"].as_u64().unwrap_or(u64::MAX) <= base + 20
    })?;
    // The trim runs on the agent's one-second tick.
    std::thread::sleep(Duration::from_secs(3));
    let after_rss_kib = agent.rss_kib()?;
    Ok(Figures {
        ledger_ns,
        bootstrap_ms,
        bootstrap_procs,
        idle_rss_kib,
        live_rss_kib,
        live_procs,
        after_rss_kib,
    })
}

pub fn report(f: &Figures) {
    let mib = |k: u64| k as f64 / 1024.0;
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!();
    println!("vmmon ledger bench");
    println!(
        "ledger cost per applied event: {:.0} ns (target < 1000 ns: {})",
        f.ledger_ns,
        verdict(f.ledger_ns < 1000.0)
    );
    println!(
        "bootstrap from /proc: {} ms for {} processes (target < 1 s for 1,000: {})",
        f.bootstrap_ms,
        f.bootstrap_procs,
        verdict(f.bootstrap_ms < 1000 && f.bootstrap_procs >= 1000)
    );
    println!(
        "agent RSS: idle {:.1} MiB, {:.1} MiB with {} processes (target < 64 MiB: {}), {:.1} MiB after they exit (target within 10% of idle: {})",
        mib(f.idle_rss_kib),
        mib(f.live_rss_kib),
        f.live_procs,
        verdict(f.live_rss_kib < 64 * 1024),
        mib(f.after_rss_kib),
        verdict((f.after_rss_kib as f64) <= f.idle_rss_kib as f64 * 1.10)
    );
}
