//! Events applied and published: exits, machine totals, decode errors, growth, and what
//! consecutive snapshots share.

use super::*;
use crate::event::{DecodeError, Syscall};
use crate::source::KernelCounters;

#[test]
fn events_change_the_published_process_and_unknown_processes_are_read() {
    let (mut core, asked) = core(vec![10], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    asked.take();
    apply(&mut core, vec![mmap(10, 100 * S, 0x7f00_0000_0000, 8)]);
    let s = core.snapshot(1.0);
    assert_eq!(virt(&s, 10), Some(MAPS_BYTES + 8 * P));
    assert_eq!(s.process(10).unwrap().calls.mmap, 1);
    assert_eq!(
        s.maps(10).unwrap().len(),
        3,
        "the new region is in the published maps"
    );
    // A process the ledger never saw: asked for at once, shown only once read.
    apply(&mut core, vec![mmap(20, 110 * S, 0x7f00_0000_0000, 1)]);
    assert_eq!(asked.take(), [(20, Priority::Urgent)]);
    assert!(core.snapshot(1.0).process(20).is_none(), "half a picture");
    fold(&mut core, read(20, MAPS, 105 * S, 105 * S + 1000));
    assert_eq!(virt(&core.snapshot(1.0), 20), Some(MAPS_BYTES + P));
}

#[test]
fn an_exited_process_leaves_the_views_and_a_late_read_does_not_bring_it_back() {
    let (mut core, _) = core(vec![10, 11], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    fold(&mut core, read(11, MAPS, S, S + 1000));
    let first = core.snapshot(1.0);
    apply(
        &mut core,
        vec![event(
            10,
            50 * S,
            Kind::Exit {
                status: None,
                group_dead: true,
                footprint: None,
            },
        )],
    );
    let s = core.snapshot(2.0);
    assert!(s.process(10).is_none());
    assert!(s.maps(10).is_none());
    assert!(
        first.process(10).is_some(),
        "a published snapshot never changes"
    );
    // A read of it that was under way when it exited.
    fold(&mut core, read(10, MAPS, 40 * S, 40 * S + 1000));
    assert!(core.snapshot(3.0).process(10).is_none());
    assert_eq!(core.status().processes, 1);
}

#[test]
fn syscalls_are_counted_on_the_machine_brk_included() {
    let (mut core, _) = core(vec![], 0);
    let brk = |ts, ret| event(30, ts * S, Kind::Brk { addr: 0, ret });
    let failed_munmap = event(
        30,
        4 * S,
        Kind::Munmap {
            addr: 0x1000,
            len: P,
            ret: -22,
        },
    );
    apply(
        &mut core,
        vec![
            mmap(30, S, 0x7f00_0000_0000, 2),
            brk(2, 0x5000_0000),
            brk(3, 0x5000_2000),
            failed_munmap,
        ],
    );
    let s = core.snapshot(1.0);
    let t = &s.totals.syscalls;
    let (mmap, brk, munmap) = (
        t.of(Syscall::Mmap),
        t.of(Syscall::Brk),
        t.of(Syscall::Munmap),
    );
    assert_eq!((mmap.ok, brk.ok, munmap.error), (1, 2, 1));
    assert_eq!(s.totals.bytes_mapped, 2 * P);
    assert_eq!(s.totals.programs_attached, 17);
    assert_eq!(s.status.events_received, 4);
}

#[test]
fn undecodable_records_are_counted_not_fatal() {
    let (mut core, _) = core(vec![], 0);
    let mut feed = Feed::new();
    feed.push_undecodable(DecodeError::Short(3));
    feed.push_undecodable(DecodeError::UnknownKind(99));
    feed.counters = KernelCounters {
        ring_full: 5,
        ..KernelCounters::default()
    };
    core.drain(&mut feed);
    let s = core.snapshot(1.0);
    assert_eq!((s.status.events_received, s.status.decode_errors), (2, 2));
    assert_eq!(s.status.kernel.ring_full, 5, "the kernel's drops are shown");
}

#[test]
fn growth_is_sampled_each_tick() {
    let (mut core, _) = core(vec![10], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    core.tick(0);
    apply(&mut core, vec![mmap(10, 10 * S, 0x7f00_0000_0000, 16)]);
    core.tick(1);
    let s = core.snapshot(1.0);
    let p = s.process(10).unwrap();
    assert_eq!(p.growth_bytes_per_second, (16 * P) as i64);
    assert_eq!(p.growth_bytes, (16 * P) as i64);
    core.tick(2);
    let p = core.snapshot(2.0).process(10).cloned().unwrap();
    assert_eq!(p.growth_bytes_per_second, 0, "no change in the last second");
    assert_eq!(p.growth_bytes, (16 * P) as i64, "still within the window");
    for t in 3..=15 {
        core.tick(t);
    }
    assert_eq!(core.snapshot(3.0).process(10).unwrap().growth_bytes, 0);
}

#[test]
fn a_snapshot_shares_what_did_not_change() {
    let (mut core, _) = core(vec![10, 11], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    fold(&mut core, read(11, MAPS, S, S + 1000));
    let before = core.snapshot(1.0);
    apply(&mut core, vec![mmap(11, 10 * S, 0x7f00_0000_0000, 1)]);
    let after = core.snapshot(2.0);
    assert!(Arc::ptr_eq(&before.processes[&10], &after.processes[&10]));
    assert!(!Arc::ptr_eq(&before.processes[&11], &after.processes[&11]));
    assert_eq!(virt(&before, 11), Some(MAPS_BYTES), "the old one is frozen");
}

#[test]
fn call_sites_are_published_and_named_without_guessing() {
    use crate::event::CallSite;
    use crate::symbolize::{Marker, Symbols};
    // A pid no process has: its map_files cannot be read.
    const PID: u32 = 4_000_001;
    const MAPS_SITES: &str = "\
55f711a62000-55f711a64000 r-xp 00000000 00:1f 5 /nonexistent/bin/app
7f0000000000-7f0000001000 rwxp 00000000 00:00 0
7f0000010000-7f0000012000 r-xp 00002000 00:1f 6 /tmp/plugin.so (deleted)
7ffd1c3e1000-7ffd1c402000 rw-p 00000000 00:00 0 [stack]
";
    let (mut core, _) = core(vec![PID], 0);
    fold(&mut core, read(PID, MAPS_SITES, S, S + 1000));
    let with_site = |ts, at, pages, id, frames: &[u64]| {
        let mut e = mmap(PID, ts, at, pages);
        e.site = Some(CallSite::with_frames(id, frames));
        e
    };
    apply(
        &mut core,
        vec![
            with_site(
                10 * S,
                0x7f10_0000_0000,
                4,
                0xa1,
                &[0x55f7_11a6_2100, 0x55f7_11a6_3000],
            ),
            with_site(11 * S, 0x7f20_0000_0000, 3, 0xb1, &[0x7f00_0000_0010]),
            with_site(12 * S, 0x7f30_0000_0000, 2, 0xc1, &[0x7f00_0001_0020]),
            with_site(13 * S, 0x7f40_0000_0000, 1, 0xd1, &[0x1234]),
        ],
    );
    let s = core.snapshot(1.0);
    assert_eq!(s.sites.get(&0xa1).map(|f| f.len()), Some(2));
    let maps = s.maps(PID).unwrap();
    let app_region = maps.iter().find(|r| r.start == 0x7f10_0000_0000).unwrap();
    assert_eq!(
        app_region.sites,
        ["00000000000000a1"],
        "each region names its sites"
    );
    assert!(
        maps.iter()
            .find(|r| r.kind == "stack")
            .unwrap()
            .sites
            .is_empty()
    );
    let named = Symbols::new().process_sites(&s, PID, 10).expect("tracked");
    let by = |site: &str| {
        let v = named.sites.iter().find(|x| x.site.as_deref() == Some(site));
        v.cloned().expect("site listed")
    };
    let app = by("00000000000000a1");
    assert_eq!(app.bytes, 4 * P);
    assert_eq!(app.frames.len(), 2);
    let f = &app.frames[0];
    assert_eq!(
        (
            f.module.as_deref(),
            f.offset,
            f.function.as_deref(),
            f.marker
        ),
        (
            Some("/nonexistent/bin/app"),
            Some(0x100),
            None,
            Some(Marker::Unreadable)
        ),
        "module and offset, no name, never a guess"
    );
    let jit = &by("00000000000000b1").frames[0];
    assert_eq!((jit.marker, jit.offset), (Some(Marker::Jit), None));
    let deleted = &by("00000000000000c1").frames[0];
    assert_eq!(
        (deleted.marker, deleted.offset),
        (Some(Marker::Deleted), Some(0x2020))
    );
    assert_eq!(
        by("00000000000000d1").frames[0].marker,
        Some(Marker::Unmapped)
    );
    // The bytes no captured call made come last, and every byte is someone's.
    let rest = named.sites.last().unwrap();
    assert_eq!(
        (rest.site.as_deref(), rest.bytes),
        (None, 0x2000 + 0x1000 + 0x2000 + 0x21000)
    );
    let total: u64 = named.sites.iter().map(|x| x.bytes).sum();
    assert_eq!(total, named.virtual_bytes);
    // Unmapping half of the app's bytes takes them from its site.
    let unmap = Kind::Munmap {
        addr: 0x7f10_0000_0000,
        len: 2 * P,
        ret: 0,
    };
    apply(&mut core, vec![event(PID, 14 * S, unmap)]);
    let s = core.snapshot(2.0);
    let named = Symbols::new().process_sites(&s, PID, 10).unwrap();
    assert_eq!(named.sites[0].site.as_deref(), Some("00000000000000b1"));
    assert!(
        named
            .sites
            .iter()
            .any(|x| x.site.as_deref() == Some("00000000000000a1") && x.bytes == 2 * P)
    );
}
