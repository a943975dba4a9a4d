//! Per-call-site accounting through what the kernel does to mappings: merges of mappings
//! different calls made, splits, moves, growth, unmaps, forks and reads from `/proc`.

use crate::event::{CallSite, Comm, Event, Kind};
use crate::ledger::apply::{Call, apply_call};
use crate::ledger::region::{Origin, Perms, Region, RegionKind};
use crate::ledger::sites::{NO_SITE, SiteId};
use crate::ledger::{AddressSpace, Ledger, MapsRead, ReadReason};
use vmmon_common::linux::{MREMAP_MAYMOVE, PROT_READ};

const P: u64 = 4096;

fn call(site: SiteId) -> Call {
    Call {
        tid: 1,
        ts_ns: 1,
        site,
    }
}

/// (site, bytes, regions), sorted by site.
fn held(s: &AddressSpace) -> Vec<(SiteId, u64, usize)> {
    let mut v: Vec<_> = s
        .sites()
        .into_iter()
        .map(|t| (t.site, t.bytes, t.regions))
        .collect();
    v.sort_unstable();
    v
}

/// `mremap(old_addr, old_len, new_len, flags)` that returned `ret`.
fn mremap(old_addr: u64, old_len: u64, new_len: u64, flags: u32, ret: i64) -> Kind {
    Kind::Mremap {
        old_addr,
        old_len,
        new_len,
        flags,
        new_addr: 0,
        ret,
    }
}

fn mmap(s: &mut AddressSpace, at: u64, pages: u64, site: SiteId) {
    apply_call(s, &Kind::anon_mmap(at, pages * P), call(site));
}

#[test]
fn neighbours_from_different_sites_merge_into_one_mapping_and_keep_their_bytes_apart() {
    let mut s = AddressSpace::new();
    mmap(&mut s, 0x10000, 4, 1);
    mmap(&mut s, 0x14000, 2, 2);
    assert_eq!(
        s.mappings(),
        1,
        "the kernel merges them, and so does the ledger"
    );
    assert_eq!(held(&s), vec![(1, 4 * P, 1), (2, 2 * P, 1)]);
}

#[test]
fn a_split_keeps_the_site_on_both_parts_and_an_unmap_takes_exactly_its_bytes() {
    let mut s = AddressSpace::new();
    mmap(&mut s, 0x10000, 4, 1);
    mmap(&mut s, 0x14000, 2, 2);
    // mprotect one page in the middle of the first call's bytes: three mappings.
    let protect = Kind::Mprotect {
        addr: 0x11000,
        len: P,
        prot: PROT_READ,
        ret: 0,
    };
    apply_call(&mut s, &protect, call(NO_SITE));
    assert_eq!(s.mappings(), 3);
    assert_eq!(held(&s), vec![(1, 4 * P, 3), (2, 2 * P, 1)]);
    // Unmap across the boundary between the two calls' bytes.
    let unmap = Kind::Munmap {
        addr: 0x13000,
        len: 2 * P,
        ret: 0,
    };
    apply_call(&mut s, &unmap, call(NO_SITE));
    assert_eq!(held(&s), vec![(1, 3 * P, 3), (2, P, 1)]);
    // Putting the page back read-write merges all that is left of the first call.
    let back = Kind::Mprotect {
        addr: 0x11000,
        len: P,
        prot: 3,
        ret: 0,
    };
    apply_call(&mut s, &back, call(NO_SITE));
    assert_eq!(held(&s), vec![(1, 3 * P, 1), (2, P, 1)]);
    let total: u64 = s.sites().iter().map(|t| t.bytes).sum();
    assert_eq!(total, s.kernel_bytes(), "every byte is some site's");
}

#[test]
fn a_move_keeps_the_sites_and_what_it_adds_is_the_movers() {
    let mut s = AddressSpace::new();
    mmap(&mut s, 0x10000, 2, 1);
    mmap(&mut s, 0x12000, 2, 2);
    // Move all four pages away and grow them to six, from site 3.
    let moved = mremap(0x10000, 4 * P, 6 * P, MREMAP_MAYMOVE, 0x40000);
    apply_call(&mut s, &moved, call(3));
    assert_eq!(s.find(0x10000), None);
    assert_eq!(held(&s), vec![(1, 2 * P, 1), (2, 2 * P, 1), (3, 2 * P, 1)]);
    assert_eq!(s.find(0x40000).map(|r| r.sites.at(0)), Some(1));
    assert_eq!(s.find(0x42000).map(|r| r.sites.at(2 * P)), Some(2));
    // Grow in place from site 4, then shrink back past it.
    let grown = mremap(0x40000, 6 * P, 8 * P, 0, 0x40000);
    apply_call(&mut s, &grown, call(4));
    assert_eq!(held(&s).last(), Some(&(4, 2 * P, 1)));
    let shrunk = mremap(0x40000, 8 * P, 3 * P, 0, 0x40000);
    apply_call(&mut s, &shrunk, call(NO_SITE));
    assert_eq!(held(&s), vec![(1, 2 * P, 1), (2, P, 1)]);
}

#[test]
fn the_heap_grows_by_the_brk_callers_bytes() {
    let mut s = AddressSpace::new();
    let brk = |ret: u64| Kind::Brk {
        addr: ret,
        ret: ret as i64,
    };
    apply_call(&mut s, &brk(0x50000), call(NO_SITE));
    apply_call(&mut s, &brk(0x50000 + 4 * P), call(7));
    apply_call(&mut s, &brk(0x50000 + 6 * P), call(8));
    assert_eq!(s.mappings(), 1);
    assert_eq!(held(&s), vec![(7, 4 * P, 1), (8, 2 * P, 1)]);
    apply_call(&mut s, &brk(0x50000 + 3 * P), call(NO_SITE));
    assert_eq!(held(&s), vec![(7, 3 * P, 1)]);
}

fn ev(ts: u64, kind: Kind, site: Option<u64>) -> Event {
    let mut e = Event::new(ts, 10, 10, Comm::default(), kind);
    e.site = site.map(|id| CallSite::with_frames(id, &[0x5555_0000_0000 + id]));
    e
}

#[test]
fn a_fork_copies_the_sites_and_a_read_from_proc_keeps_them_where_the_bytes_still_are() {
    let mut l = Ledger::new();
    let stack = {
        let mut r = Region::new(
            0x7ff0000,
            0x7ff0000 + 8 * P,
            Perms::parse("rw-p").unwrap(),
            RegionKind::Stack,
            Origin::Procfs,
        );
        r.path = Some("[stack]".into());
        r
    };
    let snap = |regions: Vec<Region>, ts: u64| MapsRead {
        regions,
        start_brk: 0,
        taken_ns: ts,
        done_ns: 0,
    };
    l.insert_snapshot(10, Comm::default(), snap(vec![stack.clone()], 1));
    l.expect_snapshot(10);
    l.apply(&ev(5, Kind::anon_mmap(0x10000, 4 * P), Some(0xa1)));
    l.apply(&ev(6, Kind::anon_mmap(0x14000, 4 * P), Some(0xb1)));
    let fork = Kind::Fork {
        child_tgid: 11,
        child_tid: 11,
        clone_flags: Some(0x11),
    };
    l.apply(&ev(7, fork, None));
    let child: Vec<_> = l
        .space(11)
        .unwrap()
        .sites()
        .iter()
        .map(|t| (t.site, t.bytes))
        .collect();
    assert!(child.contains(&(0xa1, 4 * P)) && child.contains(&(0xb1, 4 * P)));
    // /proc says the first call's mapping lost its first page (an event the ledger missed)
    // and shows the rest as one mapping: the read corrects the layout, not the sites.
    let anon = Region::new(
        0x11000,
        0x18000,
        Perms::parse("rw-p").unwrap(),
        RegionKind::Anon,
        Origin::Procfs,
    );
    l.reconcile(
        10,
        snap(vec![anon, stack], 8),
        (true, ReadReason::Mismatch(crate::ledger::Mismatch::Grown)),
    );
    let s = l.space(10).unwrap();
    assert_eq!(s.mappings(), 2);
    let mut got: Vec<_> = s.sites().iter().map(|t| (t.site, t.bytes)).collect();
    got.sort_unstable();
    assert_eq!(got, vec![(NO_SITE, 8 * P), (0xa1, 3 * P), (0xb1, 4 * P)]);
}

#[test]
fn a_move_that_shrinks_drops_the_cut_runs_before_anything_grows_back() {
    let mut s = AddressSpace::new();
    mmap(&mut s, 0x10000, 2, 1);
    mmap(&mut s, 0x12000, 2, 2);
    // Move the four pages away keeping one, then grow that in place by three from site 3.
    let moved = mremap(0x10000, 4 * P, P, MREMAP_MAYMOVE, 0x40000);
    apply_call(&mut s, &moved, call(NO_SITE));
    assert_eq!(held(&s), vec![(1, P, 1)]);
    let grown = mremap(0x40000, P, 4 * P, 0, 0x40000);
    apply_call(&mut s, &grown, call(3));
    assert_eq!(held(&s), vec![(1, P, 1), (3, 3 * P, 1)]);
}

#[test]
fn a_site_with_bytes_on_both_sides_of_another_counts_its_mapping_once() {
    let mut s = AddressSpace::new();
    mmap(&mut s, 0x10000, 3, 1);
    // Site 2 maps over the middle page (MAP_FIXED); the three pages merge again.
    let fixed = Kind::Mmap {
        addr: 0x11000,
        len: P,
        prot: 3,
        flags: 0x32,
        fd: -1,
        offset: 0,
        ret: 0x11000,
    };
    apply_call(&mut s, &fixed, call(2));
    assert_eq!(s.mappings(), 1);
    assert_eq!(held(&s), vec![(1, 2 * P, 1), (2, P, 1)]);
}

#[test]
fn bytes_a_read_from_proc_finds_that_the_ledger_never_had_are_no_sites() {
    let mut l = Ledger::new();
    let snap = |regions: Vec<Region>, ts: u64| MapsRead {
        regions,
        start_brk: 0,
        taken_ns: ts,
        done_ns: 0,
    };
    let anon = |start: u64, pages: u64| {
        Region::new(
            start,
            start + pages * P,
            Perms::parse("rw-p").unwrap(),
            RegionKind::Anon,
            Origin::Procfs,
        )
    };
    l.insert_snapshot(10, Comm::default(), snap(vec![], 1));
    l.expect_snapshot(10);
    l.apply(&ev(5, Kind::anon_mmap(0x10000, 2 * P), Some(0xa1)));
    // The mapping grew by two pages without an event the ledger saw.
    l.reconcile(
        10,
        snap(vec![anon(0x10000, 4)], 8),
        (true, ReadReason::Mismatch(crate::ledger::Mismatch::Grown)),
    );
    let mut got: Vec<_> = l
        .space(10)
        .unwrap()
        .sites()
        .iter()
        .map(|t| (t.site, t.bytes))
        .collect();
    got.sort_unstable();
    assert_eq!(got, vec![(NO_SITE, 2 * P), (0xa1, 2 * P)]);
}
