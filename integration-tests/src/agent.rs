//! The one harness for running the real `vmmon` binary in tests: find it, start the agent on
//! a free port and a socket of its own (as it is, under a config file, or through a wrapper
//! such as `setpriv`), wait until its programs are attached, ask its API (on the socket, as
//! `vmmon maps` does) or its TCP door, follow its log, and stop it when the test ends, also
//! when the test fails.

use crate::collect::require_root;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The `vmmon` binary, built beside the running test's own.
pub fn vmmon_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("vmmon");
    assert!(
        bin.exists(),
        "{} not built (run the tests with cargo xtask test)",
        bin.display()
    );
    bin
}

/// A command running the `vmmon` binary.
pub fn vmmon() -> Command {
    Command::new(vmmon_bin())
}

/// A loopback port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A socket path no other agent of this test run uses, in a directory any user may write
/// (an agent run as nobody makes its socket there).
pub fn fresh_socket() -> String {
    use std::os::unix::fs::PermissionsExt as _;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let root = std::path::Path::new("/tmp/vmmon-tests");
    let dir = root.join(format!("{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (d, mode) in [(root, 0o1777), (dir.as_path(), 0o777)] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    format!("{}/api.sock", dir.display())
}

/// A child process that gets SIGTERM, and is waited for, when dropped.
pub struct Killed(pub Child);

impl Killed {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

/// Mounts tracefs at `/sys/kernel/tracing` unless it is, as systemd does for the unit
/// (`sys-kernel-tracing.mount`): for an agent started without the right to mount it.
pub fn mount_tracefs_as_systemd_does() {
    let mounted = std::fs::read_to_string("/proc/self/mounts")
        .unwrap()
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some("/sys/kernel/tracing"));
    if !mounted {
        let out = Command::new("mount")
            .args(["-t", "tracefs", "nodev", "/sys/kernel/tracing"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting tracefs: {}",
            crate::output::said(&out)
        );
    }
}

/// How to start an agent.
#[derive(Default)]
pub struct Launch {
    wrapper: Vec<String>,
    global: Vec<String>,
    args: Vec<String>,
    port: Option<u16>,
    socket: Option<String>,
    from_config: bool,
    env: Vec<(String, String)>,
}

impl Launch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs vmmon through `wrapper` (a program and its arguments, e.g. `setpriv ...`).
    pub fn wrapper(mut self, wrapper: &[&str]) -> Self {
        self.wrapper = wrapper.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Arguments after `vmmon`, before `agent` (global flags such as `-v`).
    pub fn global(mut self, args: &[&str]) -> Self {
        self.global.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// More arguments for `vmmon agent`.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Sets an environment variable for it.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// Listens on this port (otherwise a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Serves the API on this socket (otherwise a fresh one).
    pub fn socket(mut self, socket: &str) -> Self {
        self.socket = Some(socket.to_string());
        self
    }

    /// Takes the listen address from `--config FILE` (which names `port`) instead of a flag.
    pub fn config(mut self, file: &std::path::Path, port: u16) -> Self {
        self.args
            .extend(["--config".into(), file.display().to_string()]);
        self.port = Some(port);
        self.from_config = true;
        self
    }

    /// Starts it with the real programs (so as root); `Err` holds what it said instead of
    /// attaching.
    pub fn try_start(self) -> Result<Agent, String> {
        require_root();
        let port = self.port.unwrap_or_else(free_port);
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = match self.wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(vmmon_bin());
                c
            }
            None => vmmon(),
        };
        cmd.args(&self.global).arg("agent").args(&self.args);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        if !self.from_config {
            cmd.args(["--listen", &addr]);
        }
        let socket = self.socket.clone().unwrap_or_else(fresh_socket);
        cmd.args(["--socket", &socket]);
        let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
        let lines = lines(child.stderr.take().unwrap());
        let agent = Agent {
            child: Some(child),
            addr,
            socket,
            lines,
        };
        loop {
            match agent.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(line) if line.contains("programs attached") => return Ok(agent),
                // A warning logged on the way (a timestamped log line) is not the answer.
                Ok(line) if line.starts_with('[') && line.contains(" WARN ") => {}
                Ok(line) => return Err(line),
                Err(e) => return Err(format!("no word from the agent: {e}")),
            }
        }
    }

    /// Starts it, or fails the test with what it said.
    pub fn start(self) -> Agent {
        self.try_start()
            .unwrap_or_else(|e| panic!("the agent did not start: {e}"))
    }
}

/// A running agent; stopped (SIGTERM) when dropped.
pub struct Agent {
    child: Option<Child>,
    /// `127.0.0.1:PORT`: `/metrics`, `/healthz`, `/livez`.
    pub addr: String,
    /// The JSON API's socket: what `--connect` takes.
    pub socket: String,
    lines: Receiver<String>,
}

impl Agent {
    /// `vmmon agent` with defaults on a free port.
    pub fn start() -> Self {
        Launch::new().start()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// `GET path` on the API's socket: the status code and the body as text.
    pub fn get_text(&self, path: &str) -> (u16, String) {
        let client = vmmon::client::Client::new(&self.socket, Duration::from_secs(10));
        let (code, body) = client
            .get_raw(path)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        (code, String::from_utf8_lossy(&body).into_owned())
    }

    /// `GET path` on the TCP door with `headers`: the status code and the body as text.
    pub fn get_tcp(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        tcp_get(&format!("http://{}{path}", self.addr), headers)
    }

    /// `GET path`: the status code and the body as JSON (null when it is not JSON).
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let (code, text) = self.get_text(path);
        (code, serde_json::from_str(&text).unwrap_or_default())
    }

    /// Waits for a log line containing `what`; fails the test after 30 s.
    pub fn wait_for_log(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let left = Duration::from_secs(30).saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(what) => return line,
                Ok(_) => {}
                Err(_) => panic!("the agent never logged {what:?}"),
            }
        }
    }

    /// Sends it `signal`.
    pub fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.pid() as i32, signal) };
    }

    /// Stops it with SIGTERM; how it exited, or `None` when it is still running after
    /// `limit` (it is then killed when dropped).
    pub fn stop_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.signal(libc::SIGTERM);
        let child = self.child.as_mut().expect("running");
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = child.try_wait().expect("waiting for the agent") {
                self.child = None;
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Stops it with SIGTERM and says how it exited.
    pub fn stop(mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.child.take().expect("running").wait().unwrap()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let _ = child.wait();
        }
    }
}

/// The lines `r` gives, read on a thread of their own: a test waits for one with a limit
/// (`recv_timeout`), and the writer never blocks on a full pipe.
pub fn lines(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Waits for `child` to exit; fails the test after `limit` (the child is left to whoever
/// owns it, a [`Killed`] for one).
pub fn exit_within(child: &mut Child, limit: Duration) -> ExitStatus {
    wait_until("the process to exit", limit, || {
        child.try_wait().expect("waiting for a child")
    })
}

/// `GET url` with `headers`: the status code and the body as text.
pub fn tcp_get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut req = http.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut resp = req.call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let code = resp.status().as_u16();
    (code, resp.body_mut().read_to_string().unwrap_or_default())
}

/// A JSON document from the API's socket `socket` at `path`, or `None` when there is no
/// answer.
pub fn get_json_at(socket: &str, path: &str) -> Option<serde_json::Value> {
    let client = vmmon::client::Client::new(socket, Duration::from_secs(5));
    let (code, body) = client.get_raw(path).ok()?;
    if code != 200 {
        return None;
    }
    serde_json::from_slice(&body).ok()
}

/// A JSON document from `url`, or `None` when there is no answer.
pub fn get_json(url: &str) -> Option<serde_json::Value> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    agent.get(url).call().ok()?.body_mut().read_json().ok()
}

/// Polls `f` every 250 ms until it gives a value; fails the test after `limit`.
pub fn wait_until<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}
