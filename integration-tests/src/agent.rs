//! Running the real `vmmon` binary in tests: find it, give it a free port, start the agent
//! and wait for its API, and stop whatever was started when the test ends.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

/// A loopback port nothing listens on (at the time of asking).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// Starts `vmmon agent` on `127.0.0.1:port` with the real programs and waits until it says
/// they are attached.
pub fn start_agent(port: u16) -> Killed {
    let mut agent = Command::new(vmmon_bin())
        .args(["agent", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(agent.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let agent = Killed(agent);
    assert!(
        line.contains("programs attached"),
        "agent did not start: {line}"
    );
    agent
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
