use super::*;
use crate::event::{Comm, Figures};

fn event(kind: Kind) -> Event {
    let mut e = Event::new(7, 10, 10, Comm::from_bytes(b"t"), kind);
    e.figures = Some(Figures {
        virtual_bytes: 1 << 30,
        mappings: 65_000,
        ..Figures::default()
    });
    e
}

#[test]
fn an_mmap_refused_with_enomem_is_kept_with_its_size_and_the_figures_then() {
    let mut mmap = Kind::anon_mmap(0, 64 << 20);
    if let Kind::Mmap { ret, .. } = &mut mmap {
        *ret = -12;
    }
    let c = refused_call(&event(mmap), None, 0xabc).unwrap();
    assert_eq!(
        (c.call, c.bytes, c.errno, c.site),
        (Syscall::Mmap, 64 << 20, Some(12), 0xabc)
    );
    assert_eq!(
        (c.virtual_bytes, c.mappings, c.ts_ns),
        (Some(1 << 30), Some(65_000), 7)
    );
    // Another error, or success, is no refusal.
    let mut inval = Kind::anon_mmap(0, 4096);
    if let Kind::Mmap { ret, .. } = &mut inval {
        *ret = -22;
    }
    assert!(refused_call(&event(inval), None, 0).is_none());
    assert!(refused_call(&event(Kind::anon_mmap(0x1000, 4096)), None, 0).is_none());
}

#[test]
fn a_brk_that_did_not_move_is_refused_by_what_it_asked_to_grow() {
    let refused = Kind::Brk {
        addr: 0x60_0000,
        ret: 0x50_0000,
    };
    let c = refused_call(&event(refused), Some(0x50_0000), 0).unwrap();
    assert_eq!((c.call, c.bytes, c.errno), (Syscall::Brk, 0x10_0000, None));
    let query = Kind::Brk {
        addr: 0,
        ret: 0x50_0000,
    };
    assert!(refused_call(&event(query), Some(0x50_0000), 0).is_none());
    let moved = Kind::Brk {
        addr: 0x60_0000,
        ret: 0x60_0000,
    };
    assert!(refused_call(&event(moved), Some(0x50_0000), 0).is_none());
}

#[test]
fn the_first_stays_and_the_latest_moves_on() {
    let mut r = Refused::default();
    let call = |ts_ns, site| RefusedCall {
        call: Syscall::Mmap,
        bytes: 4096,
        errno: Some(12),
        site,
        ts_ns,
        virtual_bytes: None,
        mappings: None,
    };
    r.note(call(1, 5));
    assert_eq!(r.first, r.latest);
    r.note(call(2, 6));
    r.note(call(3, 7));
    assert_eq!(r.first.as_ref().map(|c| c.ts_ns), Some(1));
    assert_eq!(r.latest.as_ref().map(|c| c.ts_ns), Some(3));
    assert_eq!(r.sites().collect::<Vec<_>>(), vec![5, 7]);
}
