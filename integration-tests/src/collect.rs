//! Running a command while vmmon's real programs are attached, collecting every event.

use std::io::Read as _;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use vmmon::bpf::{LoadOptions, Pipeline};
use vmmon::event::Event;
use vmmon::source::{EventSource, KernelCounters};

/// Panics unless the test runs as root: these tests load real eBPF programs.
pub fn require_root() {
    // SAFETY: no arguments.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test loads vmmon's real eBPF programs and must run as root: use `cargo xtask test`"
    );
}

/// What a traced run produced.
pub struct Traced {
    /// Every decoded event on the machine while the command ran, in ring order.
    pub events: Vec<Event>,
    /// Records that did not decode.
    pub decode_errors: usize,
    /// The kernel-side counters at the end.
    pub counters: KernelCounters,
    /// The command's stdout.
    pub stdout: String,
    /// How the command exited.
    pub status: ExitStatus,
    /// The command's pid.
    pub pid: u32,
}

impl Traced {
    /// The events of the given processes, in order.
    pub fn of(&self, tgids: &[u32]) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| tgids.contains(&e.tgid))
            .collect()
    }
}

/// How long a traced command may run before the test gives up (a hang guard, not a timing
/// assertion).
const LIMIT: Duration = Duration::from_secs(120);

/// Loads and attaches the real programs, runs `cmd`, and collects events until the command
/// has exited and its last-thread exit event has come through the ring.
pub fn trace_command(cmd: &mut Command) -> Traced {
    trace_command_with(cmd, &LoadOptions::default())
}

/// [`trace_command`] with the given load options.
pub fn trace_command_with(cmd: &mut Command, opts: &LoadOptions) -> Traced {
    require_root();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let mut pipeline = Pipeline::load(opts)
            .unwrap_or_else(|e| panic!("loading the real eBPF programs failed: {e}"));
        let mut child = Reaped(
            cmd.stdout(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}")),
        );
        let pid = child.0.id();
        let mut pipe = child.0.stdout.take().expect("piped stdout");
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            pipe.read_to_string(&mut s).expect("read stdout");
            s
        });
        let start = Instant::now();
        let mut events = Vec::new();
        let mut decode_errors = 0;
        let mut status = None;
        let mut gone = false;
        while status.is_none() || !gone {
            pipeline.ready().await;
            pipeline.drain(&mut |r| match r {
                Ok(e) => {
                    gone |= e.tgid == pid && e.is_process_exit();
                    events.push(e);
                }
                Err(_) => decode_errors += 1,
            });
            if status.is_none() {
                status = child.0.try_wait().expect("wait for the command");
            }
            assert!(
                start.elapsed() < LIMIT,
                "{cmd:?} (pid {pid}) did not finish within {LIMIT:?}: exited={status:?}, last exit event seen={gone}"
            );
        }
        let counters = pipeline.counters();
        Traced {
            events,
            decode_errors,
            counters,
            stdout: stdout.join().expect("stdout reader"),
            status: status.expect("exited"),
            pid,
        }
    })
}

/// A child that is killed and reaped if the test panics before it exits.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}
