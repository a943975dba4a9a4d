//! The seam between the kernel and the agent's core: where decoded events come from.
//!
//! The eBPF pipeline ([`crate::bpf::Pipeline`]) is one [`EventSource`]; [`Feed`] is
//! another, fed by hand, so that the core can be exercised without root and without eBPF.

use crate::event::{DecodeError, Event, Swept, decode_sweep};
use std::collections::VecDeque;
use std::future::Future;
use std::io::Read;

/// Counters kept by the programs in the kernel, summed over CPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KernelCounters {
    /// Records lost because the ring buffer was full.
    pub ring_full: u64,
    /// Records the programs offered to the ring buffer (delivered plus `ring_full`).
    pub offered: u64,
    /// Syscall exits whose enter was not seen (in flight when the programs attached): their
    /// records are not checked.
    pub unmarked: u64,
    /// Calls whose thread shared its mark's slot with another thread's call in flight (one
    /// hash lookup more each).
    pub shared_marks: u64,
    /// Calls that found no room for their mark: counted as a lost record of their process.
    pub marks_full: u64,
    /// Call sites captured.
    #[serde(default)]
    pub sites_captured: u64,
    /// Call sites whose frames the kernel found no room for (their records name the caller
    /// alone).
    #[serde(default)]
    pub sites_unstored: u64,
}

impl KernelCounters {
    /// Events the kernel could not deliver.
    pub fn dropped(&self) -> u64 {
        self.ring_full
    }

    /// Records that reached the ring buffer.
    pub fn delivered(&self) -> u64 {
        self.offered.saturating_sub(self.ring_full)
    }
}

/// A stream of events, in the order the kernel produced them.
pub trait EventSource {
    /// Resolves when events may be waiting, and at least every poll interval: the owner
    /// folds `/proc` reads in at the drain that follows their arrival.
    fn ready(&mut self) -> impl Future<Output = ()>;
    /// Hands every waiting event (or the reason a record could not be decoded) to `f`, in
    /// order; returns how many records there were.
    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize;
    /// What the kernel side counted (drops among them).
    fn counters(&self) -> KernelCounters;
    /// Starts a sweep of every process's figures, when the source can: what reading it gives
    /// (run it off the event path: it reads every process).
    fn sweep(&mut self) -> Option<Sweep>;
}

/// A sweep of every process's figures, ready to be read.
pub struct Sweep(Box<dyn Read + Send>);

impl Sweep {
    /// A sweep whose records `reader` gives (the iterator's file, or a test's bytes).
    pub fn new(reader: impl Read + Send + 'static) -> Self {
        Self(Box::new(reader))
    }

    /// Runs it: every process's figures.
    pub fn read(mut self) -> std::io::Result<Vec<Swept>> {
        let mut bytes = Vec::new();
        self.0.read_to_end(&mut bytes)?;
        decode_sweep(&bytes).map_err(std::io::Error::other)
    }
}

impl std::fmt::Debug for Sweep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sweep")
    }
}

/// An [`EventSource`] fed by hand, for driving the core directly: events pushed are handed
/// out at the next drain.
#[derive(Debug, Default)]
pub struct Feed {
    waiting: VecDeque<Result<Event, DecodeError>>,
    /// What [`EventSource::counters`] reports.
    pub counters: KernelCounters,
    /// What the next sweep finds (none: the source cannot sweep).
    pub sweep: Option<Vec<u8>>,
}

impl Feed {
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues an event for the next drain.
    pub fn push(&mut self, e: Event) {
        self.waiting.push_back(Ok(e));
    }

    /// Queues a record that could not be decoded.
    pub fn push_undecodable(&mut self, e: DecodeError) {
        self.waiting.push_back(Err(e));
    }
}

impl EventSource for Feed {
    async fn ready(&mut self) {
        if self.waiting.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize {
        let n = self.waiting.len();
        for e in self.waiting.drain(..) {
            f(e);
        }
        n
    }

    fn counters(&self) -> KernelCounters {
        self.counters
    }

    fn sweep(&mut self) -> Option<Sweep> {
        self.sweep
            .clone()
            .map(|b| Sweep::new(std::io::Cursor::new(b)))
    }
}
