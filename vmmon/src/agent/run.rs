//! The owner's loop: waits on the event source, the `/proc` reads coming back, commands and a
//! one-second tick, and publishes a snapshot after each change. Readers never reach in: they
//! read the published snapshots.

use super::core::Core;
use super::reads::FromProc;
use crate::clock::monotonic_ns;
use crate::source::EventSource;
use crate::view::Snapshot;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};

/// What the owner can be told while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// A new drift-check rate (a configuration reload).
    SetResyncRate(u32),
}

/// The owner's channels to the rest of the agent.
pub struct Channels {
    /// `/proc` reads and sweeps coming back from the reader thread.
    pub results: mpsc::UnboundedReceiver<FromProc>,
    pub commands: mpsc::Receiver<Command>,
    pub publish: watch::Sender<Arc<Snapshot>>,
}

/// The least time between two published snapshots.
const PUBLISH_EVERY: Duration = Duration::from_millis(10);

fn now_s() -> f64 {
    monotonic_ns() as f64 / 1e9
}

/// Runs until `shutdown` resolves.
pub async fn run<S: EventSource>(
    core: &mut Core,
    source: &mut S,
    io: &mut Channels,
    shutdown: impl Future<Output = ()>,
) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_drain = Instant::now();
    let mut last_publish: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = source.ready() => {
                let now = Instant::now();
                core.record_drain_gap(now - last_drain);
                last_drain = now;
                core.drain(source);
            }
            Some(r) = io.results.recv() => core.hold(r),
            Some(c) = io.commands.recv() => match c {
                Command::SetResyncRate(n) => core.set_resync_rate(n),
            },
            _ = tick.tick() => {
                if core.tick(started.elapsed().as_secs()) {
                    give_back_memory();
                }
            }
            _ = &mut shutdown => break,
        }
        core.retry_deferred(monotonic_ns());
        let now = started.elapsed();
        if core.sweep_due(now)
            && let Some(sweep) = source.sweep()
        {
            core.sweep(sweep, now, monotonic_ns());
        }
        // At most one snapshot per poll interval: a small ring's wakeups can come thousands
        // of times a second, and a snapshot costs the same for ten events as for ten thousand.
        // The reader wakes the loop at least once an interval, so nothing waits longer.
        if core.dirty() && last_publish.is_none_or(|t| t.elapsed() >= PUBLISH_EVERY) {
            io.publish.send_replace(core.snapshot(now_s()));
            last_publish = Some(Instant::now());
        }
    }
}

/// Returns freed heap memory to the system after many processes left: the allocator keeps it
/// otherwise, and the agent would look like it leaks.
fn give_back_memory() {
    // SAFETY: malloc_trim only returns free heap memory to the kernel.
    unsafe { libc::malloc_trim(0) };
}
