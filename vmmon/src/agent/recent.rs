//! The last events on the machine, numbered, so a viewer can follow one process's events as
//! they arrive (`GET /api/v1/processes/{pid}/events?since=N`). Bounded: a busy machine pushes
//! old events out, and a reader that fell behind is told it missed some. Pure.

use crate::event::Event;
use crate::trace::write_call;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many events are kept, machine-wide (about 100 bytes each).
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

/// The ring of recent events.
#[derive(Debug)]
pub struct Recent {
    events: VecDeque<(u64, Event)>,
    capacity: usize,
    next: u64,
}

impl Recent {
    pub fn new(capacity: usize) -> Self {
        Self {
            events: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            next: 1,
        }
    }

    pub fn push(&mut self, e: &Event) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back((self.next, e.clone()));
        self.next += 1;
    }

    /// `pid`'s events numbered above `since` (0: every one kept), oldest first, at most `limit`
    /// of the newest.
    pub fn of(&self, pid: u32, since: u64, limit: usize) -> EventsView {
        let oldest = self.events.front().map_or(self.next, |(s, _)| *s);
        let start = self.events.partition_point(|(s, _)| *s <= since);
        let mut events: Vec<EventView> = self
            .events
            .range(start..)
            .filter(|(_, e)| e.tgid == pid)
            .map(|(seq, e)| {
                let mut text = String::new();
                write_call(&mut text, e);
                EventView {
                    seq: *seq,
                    ts_ns: e.ts_ns,
                    tid: e.tid,
                    name: e.kind.name().to_string(),
                    failed: e.kind.errno().is_some(),
                    text,
                }
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
mod tests {
    use super::*;
    use crate::event::{Comm, Kind};

    fn munmap(pid: u32, addr: u64) -> Event {
        Event {
            ts_ns: addr,
            tgid: pid,
            tid: pid,
            comm: Comm::from_bytes(b"x"),
            kind: Kind::Munmap {
                addr,
                len: 4096,
                ret: 0,
            },
        }
    }

    #[test]
    fn a_reader_gets_its_process_events_in_order_and_learns_when_it_missed_some() {
        let mut r = Recent::new(4);
        r.push(&munmap(1, 0x1000));
        r.push(&munmap(2, 0x2000));
        r.push(&munmap(1, 0x3000));
        let v = r.of(1, 0, 10);
        assert_eq!(v.events.len(), 2);
        assert_eq!(v.events[0].text, "munmap(0x1000, 4096) = 0");
        assert_eq!((v.events[1].seq, v.next, v.missed), (3, 3, false));
        // Nothing new.
        assert!(r.of(1, v.next, 10).events.is_empty());
        // Five more: the ring (4) lost seq 4, which a reader at 3 has not seen.
        for a in 4..9 {
            r.push(&munmap(1, a << 12));
        }
        let v2 = r.of(1, 3, 10);
        assert!(v2.missed);
        assert_eq!(v2.events.first().unwrap().seq, 5);
        assert_eq!(v2.next, 8);
        assert!(!r.of(1, 4, 10).missed, "seq 5 on are all kept");
        assert_eq!(r.of(1, 0, 2).events.len(), 2, "the newest two");
        assert_eq!(r.of(1, 0, 2).events[1].seq, 8);
    }
}
