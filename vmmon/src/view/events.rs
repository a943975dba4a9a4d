//! The last events on the machine, numbered, so a viewer can follow one process's events as
//! they arrive (`GET /api/v1/processes/{pid}/events?since=N`). Bounded: a busy machine pushes
//! old events out, and a reader that fell behind is told it missed some.

use crate::event::{Event, Figures, Kind};
use crate::trace::write_call;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How many events are kept, machine-wide (about 100 bytes each: see [`Logged`]).
pub const RECENT_EVENTS: usize = 8192;

/// One event of a process, rendered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    /// Increases by one per event on the machine.
    pub seq: u64,
    /// `CLOCK_MONOTONIC` nanoseconds.
    pub ts_ns: u64,
    pub tid: u32,
    /// mmap, munmap, mremap, mprotect, pkey_mprotect, brk, fork, exec, exit.
    pub name: String,
    /// Whether it was a syscall that failed.
    pub failed: bool,
    /// strace-style: `mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f…`.
    pub text: String,
}

/// A process's events after a given sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsView {
    /// Pass as `since` next time.
    pub next: u64,
    /// Whether events after `since` were pushed out before this read (some may be missing).
    pub missed: bool,
    pub events: Vec<EventView>,
}

/// One event as the log keeps it: what its line needs, not the figures and call site every
/// event carries (they would make it twice the size).
#[derive(Clone, Debug)]
struct Logged {
    ts_ns: u64,
    tgid: u32,
    tid: u32,
    kind: Kind,
    /// For a process's last exit: the peak size and mappings of what it released.
    released: Option<(u64, u32)>,
}

impl From<Event> for Logged {
    fn from(e: Event) -> Self {
        let released = match (&e.kind, e.figures) {
            (Kind::Exit { .. }, Some(f)) => Some((f.peak_virtual_bytes, f.mappings)),
            _ => None,
        };
        Self {
            ts_ns: e.ts_ns,
            tgid: e.tgid,
            tid: e.tid,
            kind: e.kind,
            released,
        }
    }
}

impl Logged {
    /// Its line, as `vmmon trace` writes the call.
    fn text(&self) -> String {
        let mut e = Event::new(
            self.ts_ns,
            self.tgid,
            self.tid,
            Default::default(),
            self.kind.clone(),
        );
        e.figures = self.released.map(|(peak, mappings)| Figures {
            peak_virtual_bytes: peak,
            mappings,
            ..Figures::default()
        });
        let mut text = String::new();
        write_call(&mut text, &e);
        text
    }
}

/// Events numbered from `first` on, as one drain delivered them.
#[derive(Debug)]
struct Chunk {
    first: u64,
    events: Vec<Logged>,
}

/// The newest events of one drain, at most a log's worth: the events a drain brings are
/// as many as the ring held, and keeping more than the log keeps would make the owner's
/// memory grow with the ring's size.
#[derive(Debug)]
pub struct Recent {
    events: std::collections::VecDeque<Logged>,
    skipped: u64,
    capacity: usize,
}

impl Recent {
    /// Keeps the newest `capacity` events pushed.
    pub fn new(capacity: usize) -> Self {
        Self {
            events: std::collections::VecDeque::new(),
            skipped: 0,
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, e: Event) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
            self.skipped += 1;
        }
        self.events.push_back(e.into());
    }

    /// Hands them to `log`.
    pub fn into_log(self, log: &mut EventLog) {
        log.push_newest(self.events, self.skipped);
    }
}

/// The machine's last [`RECENT_EVENTS`] events. Persistent: the owner appends whole batches,
/// and a clone (in a published snapshot) shares them, costing a few pointers.
#[derive(Clone, Debug)]
pub struct EventLog {
    chunks: imbl::Vector<Arc<Chunk>>,
    capacity: usize,
    /// Events in `chunks`, the front chunk's older ones included.
    held: usize,
    /// The number the next event gets.
    next: u64,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new(RECENT_EVENTS)
    }
}

impl EventLog {
    /// Keeps the last `capacity` events.
    pub fn new(capacity: usize) -> Self {
        Self {
            chunks: imbl::Vector::new(),
            capacity: capacity.max(1),
            held: 0,
            next: 1,
        }
    }

    /// Appends a batch of events, in order.
    pub fn push_batch(&mut self, events: Vec<Event>) {
        self.push_newest(events.into_iter().map(Logged::from).collect(), 0);
    }

    /// Appends the newest events of a batch, in order, after `skipped` older ones that were
    /// not kept (a batch is kept up to the log's capacity: see [`Recent`]).
    fn push_newest(&mut self, mut events: std::collections::VecDeque<Logged>, skipped: u64) {
        let total = events.len() as u64 + skipped;
        if total == 0 {
            return;
        }
        let excess = events.len().saturating_sub(self.capacity);
        events.drain(..excess);
        let first = self.next + skipped + excess as u64;
        self.next += total;
        let events = Vec::from(events);
        self.held += events.len();
        self.chunks.push_back(Arc::new(Chunk { first, events }));
        while let Some(front) = self.chunks.front()
            && self.held - front.events.len() >= self.capacity
        {
            self.held -= front.events.len();
            self.chunks.pop_front();
        }
    }

    /// The number of the oldest event still kept.
    fn oldest(&self) -> u64 {
        let kept_from = self.next.saturating_sub(self.capacity as u64);
        self.chunks
            .front()
            .map_or(self.next, |c| c.first)
            .max(kept_from)
    }

    /// `pid`'s events numbered above `since` (0: every one kept), oldest first, at most
    /// `limit` of the newest.
    pub fn of(&self, pid: u32, since: u64, limit: usize) -> EventsView {
        let oldest = self.oldest();
        let from = since.saturating_add(1).max(oldest);
        let mut events: Vec<EventView> = self
            .chunks
            .iter()
            .filter(|c| c.first + c.events.len() as u64 > from)
            .flat_map(|c| (c.first..).zip(&c.events))
            .filter(|(seq, e)| *seq >= from && e.tgid == pid)
            .map(|(seq, e)| EventView {
                seq,
                ts_ns: e.ts_ns,
                tid: e.tid,
                name: e.kind.name().to_string(),
                failed: e.kind.errno().is_some(),
                text: e.text(),
            })
            .collect();
        let excess = events.len().saturating_sub(limit);
        events.drain(..excess);
        EventsView {
            next: self.next - 1,
            missed: since > 0 && since + 1 < oldest,
            events,
        }
    }
}

#[cfg(test)]
mod tests;
