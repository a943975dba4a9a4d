//! The ledger's unit tests, without root or eBPF:
//!
//! - [`lineage`]: fork, threads, vfork, exit and pid reuse;
//! - [`snapshots`]: `/proc` reads taken in (bootstrap, after exec, for an unknown process, a
//!   resync), replayed events, refused reads, and the kernel's figures;
//! - [`sites`]: the call site behind each byte, through splits, merges, moves and reads;
//! - [`properties`]: the ledger against a [`page_model`] that applies every call page by page.

mod lineage;
mod page_model;
mod properties;
mod sites;
mod snapshots;

use super::region::{Origin, Perms, Region, RegionKind};
use super::{Cause, Ledger, MapsRead, Need, ReadReason, Reconciled};
use crate::event::{Comm, Event, Kind};
use std::sync::Arc;
use vmmon_common::linux::{CLONE_THREAD, CLONE_VFORK, CLONE_VM};

const P: u64 = 4096;

fn ev(tgid: u32, ts_ns: u64, kind: Kind) -> Event {
    Event::new(ts_ns, tgid, tgid, Comm::default(), kind)
}

fn mmap(tgid: u32, ts: u64, at: u64, pages: u64) -> Event {
    ev(tgid, ts, Kind::anon_mmap(at, pages * P))
}

fn fork(parent: u32, ts: u64, child: u32, flags: u64) -> Event {
    ev(
        parent,
        ts,
        Kind::Fork {
            child_tgid: if flags & CLONE_THREAD != 0 {
                parent
            } else {
                child
            },
            child_tid: child,
            clone_flags: Some(flags),
        },
    )
}

fn region(start: u64, pages: u64, perms: &str, kind: RegionKind, path: Option<&str>) -> Region {
    let perms = Perms::parse(perms).unwrap();
    let mut r = Region::new(start, start + pages * P, perms, kind, Origin::Procfs);
    r.path = path.map(Arc::from);
    r
}

fn bytes(l: &Ledger, tgid: u32) -> u64 {
    l.space(tgid).map_or(0, |s| s.totals().virtual_bytes)
}

/// A ledger tracking pid 10 with one 4-page region at 0x10000 and a stack.
fn ledger_with_10() -> Ledger {
    let mut l = Ledger::new();
    l.insert_snapshot(
        10,
        Comm::default(),
        MapsRead {
            regions: vec![
                region(0x10000, 4, "r-xp", RegionKind::File, Some("/bin/x")),
                region(0x7ff0000, 8, "rw-p", RegionKind::Stack, Some("[stack]")),
            ],
            start_brk: 0,
            taken_ns: 1,
            done_ns: 0,
        },
    );
    l
}
