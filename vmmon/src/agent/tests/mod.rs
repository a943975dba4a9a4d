//! The owner through its seams, without root or eBPF: events from a [`Feed`], `/proc` reads
//! answered by hand, requests recorded, time passed in.
//!
//! - [`reads`]: bootstrap, folding reads, torn and stale reads, the round robin;
//! - [`checks`]: the self-check's decisions (what a mismatch, lost records or a sweep read);
//! - [`events`]: events, exits, totals, growth and what snapshots share;
//! - [`looping`]: the owner's loop with its channels.

mod checks;
mod events;
mod looping;
mod reads;

use super::core::{Core, CoreOptions};
use super::reads::{FromProc, Priority, Reads, Resynced};
use crate::event::{Comm, Event, Kind};
use crate::ledger::MapsRead;
use crate::ledger::ReadReason;
use crate::procfs::{ProcessRead, parse_maps};
use crate::source::{Feed, Sweep};
use crate::view::Snapshot;
use std::sync::{Arc, Mutex};

pub(super) const P: u64 = 4096;
/// A second in `CLOCK_MONOTONIC` nanoseconds: reads and events are placed whole seconds
/// apart, well outside the torn-read margin, unless a test wants them inside it.
pub(super) const S: u64 = 1_000_000_000;

/// A [`Reads`] that records what the core asked for.
#[derive(Clone, Default)]
pub(super) struct Asked {
    pub(super) reads: Arc<Mutex<Vec<(u32, Priority)>>>,
    pub(super) rates: Arc<Mutex<Vec<u32>>>,
    pub(super) sweeps: Arc<Mutex<Vec<(Sweep, u64)>>>,
}

impl Asked {
    pub(super) fn take(&self) -> Vec<(u32, Priority)> {
        std::mem::take(&mut *self.reads.lock().unwrap())
    }
}

impl Reads for Asked {
    fn request(&self, tgid: u32, reason: ReadReason) {
        self.reads
            .lock()
            .unwrap()
            .push((tgid, Priority::of(reason)));
    }

    fn set_rate(&self, periodic_per_second: u32) {
        self.rates.lock().unwrap().push(periodic_per_second);
    }

    fn sweep(&self, sweep: Sweep, started_ns: u64) {
        self.sweeps.lock().unwrap().push((sweep, started_ns));
    }
}

pub(super) fn opts(resyncs_per_second: u32) -> CoreOptions {
    CoreOptions {
        resyncs_per_second,
        sweep_interval: std::time::Duration::from_millis(500),
        growth_window_s: 10,
        exits_kept: 4,
        programs_attached: 17,
        figures: Ok(()),
        call_sites: crate::config::SiteCapture::ALL,
        tally: crate::view::TallyOptions {
            top_k: 20,
            max_groups: 50,
            retention_s: 600.0,
        },
    }
}

pub(super) fn core(running: Vec<u32>, resyncs: u32) -> (Core, Asked) {
    let asked = Asked::default();
    let core = Core::new(opts(resyncs), Box::new(asked.clone()), running);
    (core, asked)
}

/// A read of `pid` whose maps are `maps`, taken between `taken_ns` and `done_ns`.
pub(super) fn read(pid: u32, maps: &str, taken_ns: u64, done_ns: u64) -> Resynced {
    let (regions, errors) = parse_maps(maps);
    Resynced {
        tgid: pid,
        reason: ReadReason::Unknown,
        result: Ok(ProcessRead {
            snapshot: MapsRead {
                regions,
                start_brk: 0,
                taken_ns,
                done_ns,
            },
            comm: "proc".into(),
            unit: Some("test.service".into()),
            uid: Some(1000),
            malformed: errors.len(),
            kernel_thread: false,
        }),
    }
}

pub(super) const MAPS: &str = "\
55f711a62000-55f711a64000 r--p 00000000 00:1f 5 /usr/bin/x
7ffd1c3e1000-7ffd1c402000 rw-p 00000000 00:00 0 [stack]
";
pub(super) const MAPS_BYTES: u64 = 0x2000 + 0x21000;

pub(super) fn event(pid: u32, ts_ns: u64, kind: Kind) -> Event {
    Event::new(ts_ns, pid, pid, Comm::from_bytes(b"proc"), kind)
}

pub(super) fn mmap(pid: u32, ts_ns: u64, at: u64, pages: u64) -> Event {
    event(pid, ts_ns, Kind::anon_mmap(at, pages * P))
}

/// Feeds `events` and drains them.
pub(super) fn apply(core: &mut Core, events: Vec<Event>) {
    let mut feed = Feed::new();
    for e in events {
        feed.push(e);
    }
    core.drain(&mut feed);
}

/// Holds `r` and drains nothing else: the read is folded at the end of the drain.
pub(super) fn fold(core: &mut Core, r: Resynced) {
    core.hold(FromProc::Read(r));
    core.drain(&mut Feed::new());
}

pub(super) fn virt(s: &Snapshot, pid: u32) -> Option<u64> {
    s.process(pid).map(|p| p.virtual_bytes)
}
