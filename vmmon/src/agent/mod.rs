//! `vmmon agent`'s engine: the ledger's owner and what feeds it.
//!
//! - [`core`]: the owner as a state machine (pure: events and `/proc` reads in, snapshots
//!   out), with [`publish`] keeping the published processes up to date, [`read_plan`]
//!   deciding when to read which process and [`call_sites`] keeping the call sites' frames;
//! - [`reads`]: the seam to the `/proc` side, and [`resync`], the thread that reads `/proc`;
//! - [`run`]: the owner's async loop;
//! - [`start`]: the owner, its pipeline and its reader on a thread of their own, so that
//!   nothing a reader does (a scrape, an API call) can delay a drain.

pub mod call_sites;
pub mod core;
pub mod publish;
pub mod read_plan;
pub mod reads;
pub mod resync;
pub mod run;

#[cfg(test)]
mod tests;

pub use self::core::{Core, CoreOptions};
pub use reads::{FromProc, Priority, Reads, Resynced};
pub use run::{Channels, Command};

use crate::bpf::{LoadOptions, Pipeline};
use crate::procfs::list_pids;
use crate::source::{EventSource, KernelCounters};
use crate::view::Snapshot;
use resync::Resyncer;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, watch};

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Pipeline(#[from] crate::bpf::Error),
    #[error("cannot start the /proc reader: {0}")]
    Reader(std::io::Error),
    #[error("cannot list processes in /proc: {0}")]
    ListPids(std::io::Error),
    #[error("cannot start the ledger's thread: {0}")]
    Thread(std::io::Error),
}

/// What the owner says when it stops.
#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    pub processes: usize,
    pub kernel: KernelCounters,
}

/// Every running process but this one (the kernel side skips this one's events, so its
/// ledger would go stale).
fn others() -> Result<Vec<u32>, StartError> {
    let me = std::process::id();
    Ok(list_pids()
        .map_err(StartError::ListPids)?
        .into_iter()
        .filter(|&p| p != me)
        .collect())
}

/// The core with a real `/proc` reader, driven by the caller (tests and benchmarks that
/// pace it themselves).
pub struct DrivenCore {
    pub core: Core,
    results: mpsc::UnboundedReceiver<FromProc>,
    started: std::time::Instant,
}

impl DrivenCore {
    /// Starts the reader thread and asks it for every running process.
    pub fn start(opts: CoreOptions) -> Result<Self, StartError> {
        let (tx, results) = mpsc::unbounded_channel();
        let reader = Resyncer::spawn(tx, opts.resyncs_per_second).map_err(StartError::Reader)?;
        let core = Core::new(opts, Box::new(reader), others()?);
        Ok(Self {
            core,
            results,
            started: std::time::Instant::now(),
        })
    }

    /// Takes in the reads that came back, starts a sweep when one is due, then drains
    /// `source`.
    pub fn pump<S: EventSource>(&mut self, source: &mut S) {
        while let Ok(r) = self.results.try_recv() {
            self.core.hold(r);
        }
        self.core.retry_deferred(crate::clock::monotonic_ns());
        let now = self.started.elapsed();
        if self.core.sweep_due(now)
            && let Some(s) = source.sweep()
        {
            self.core.sweep(s, now, crate::clock::monotonic_ns());
        }
        self.core.drain(source);
    }
}

/// The running owner: its published snapshots, and a way to command and stop it.
pub struct Running {
    snapshots: watch::Receiver<Arc<Snapshot>>,
    commands: mpsc::Sender<Command>,
    programs_attached: usize,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Summary>>,
}

/// Loads the programs and runs the owner on a thread of its own, with its own runtime.
/// Fails as the pipeline does (not privileged, no BTF, ...).
pub fn start(load: LoadOptions, opts: CoreOptions) -> Result<Running, StartError> {
    let (ready_tx, ready) = std::sync::mpsc::channel::<Result<Running, StartError>>();
    let thread = std::thread::Builder::new()
        .name("vmmon-ledger".into())
        .spawn(move || owner(load, opts, ready_tx))
        .map_err(StartError::Thread)?;
    match ready.recv() {
        Ok(Ok(mut running)) => {
            running.thread = Some(thread);
            Ok(running)
        }
        Ok(Err(e)) => {
            let _ = thread.join();
            Err(e)
        }
        Err(_) => {
            let _ = thread.join();
            Err(StartError::Thread(std::io::Error::other(
                "the ledger's thread stopped while starting",
            )))
        }
    }
}

/// Lowers the calling thread's nice to `-boost` (see `PipelineConfig::priority_boost`)
/// unless it runs there already (the systemd unit's `Nice=`); says why when it cannot.
fn favour_this_thread(boost: u8) {
    let want = -i32::from(boost);
    if boost == 0 || crate::procfs::thread_nice().is_some_and(|n| n <= want) {
        return;
    }
    // SAFETY: plain system calls on the calling thread.
    let done = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, want)
    };
    if done != 0 {
        log::warn!(
            "cannot raise the ledger's thread to nice {want} ({}): it needs CAP_SYS_NICE (the systemd unit sets Nice=-{boost}); when every CPU is busy, events may wait and the ring may overflow (pipeline.priority_boost = 0 silences this)",
            std::io::Error::last_os_error()
        );
    }
}

fn owner(
    load: LoadOptions,
    opts: CoreOptions,
    ready: std::sync::mpsc::Sender<Result<Running, StartError>>,
) -> Summary {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(StartError::Thread(e)));
            return Summary::default();
        }
    };
    runtime.block_on(async move {
        let started = Pipeline::load(&load)
            .map_err(StartError::from)
            .and_then(|pipeline| {
                let layout = pipeline.layout();
                let opts = CoreOptions {
                    programs_attached: pipeline.programs_attached() as u64,
                    figures: if layout.has_figures() {
                        Ok(())
                    } else {
                        Err(layout.missing.clone())
                    },
                    ..opts
                };
                Ok((pipeline, DrivenCore::start(opts)?))
            });
        let (mut pipeline, local) = match started {
            Ok(x) => x,
            Err(e) => {
                let _ = ready.send(Err(e));
                return Summary::default();
            }
        };
        // Once the programs are in (a pipeline that cannot load has nothing to favour).
        favour_this_thread(load.priority_boost);
        let DrivenCore {
            mut core, results, ..
        } = local;
        let (publish, snapshots) = watch::channel(core.snapshot(0.0));
        let (commands_tx, commands) = mpsc::channel(16);
        let (stop_tx, stop) = oneshot::channel();
        let running = Running {
            snapshots,
            commands: commands_tx,
            programs_attached: pipeline.programs_attached(),
            stop: Some(stop_tx),
            thread: None,
        };
        if ready.send(Ok(running)).is_err() {
            return Summary::default();
        }
        let mut io = Channels {
            results,
            commands,
            publish,
        };
        run::run(&mut core, &mut pipeline, &mut io, async {
            let _ = stop.await;
        })
        .await;
        Summary {
            processes: core.ledger().processes().count(),
            kernel: pipeline.counters(),
        }
    })
}

impl Running {
    /// The latest snapshot, and every one after it.
    pub fn snapshots(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshots.clone()
    }

    /// Where to send commands.
    pub fn commands(&self) -> mpsc::Sender<Command> {
        self.commands.clone()
    }

    /// Programs attached.
    pub fn programs_attached(&self) -> usize {
        self.programs_attached
    }

    /// Stops the owner, detaches the programs, and says what it saw.
    pub fn stop(mut self) -> Summary {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Summary {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shut_down();
    }
}
