use super::*;

const P: u64 = 4096;

fn mmap(ret: u64, pages: u64) -> Kind {
    Kind::anon_mmap(ret, pages * P)
}

fn munmap(addr: u64, pages: u64) -> Kind {
    Kind::Munmap {
        addr,
        len: pages * P,
        ret: 0,
    }
}

#[test]
fn a_late_unmap_from_another_thread_does_not_remove_what_reused_the_hole() {
    let mut s = AddressSpace::new();
    apply(&mut s, &mmap(0x10000, 1), 1, 10);
    // Thread 1 unmapped the page, thread 2 got it back from a non-fixed mmap, but thread
    // 1's event is the one that arrives late.
    apply(&mut s, &mmap(0x10000, 2), 2, 20);
    apply(&mut s, &munmap(0x10000, 1), 1, 21);
    assert_eq!(s.totals().virtual_bytes, 2 * P);
    assert_eq!(s.find(0x10000).map(|r| r.end), Some(0x10000 + 2 * P));
}

#[test]
fn a_late_mremap_moves_what_was_there_not_what_reused_its_source() {
    let mut s = AddressSpace::new();
    let file = Kind::Mmap {
        addr: 0,
        len: 2 * P,
        prot: 1,
        flags: 0x1,
        fd: 3,
        offset: 0,
        ret: 0x10000,
    };
    apply(&mut s, &file, 1, 10);
    // Thread 1 moved its file mapping to 0x40000; thread 2's anonymous mmap got the freed
    // source; thread 1's event arrives last.
    apply(&mut s, &mmap(0x10000, 2), 2, 20);
    let moved = Kind::Mremap {
        old_addr: 0x10000,
        old_len: 2 * P,
        new_len: 2 * P,
        flags: 1,
        new_addr: 0,
        ret: 0x40000,
    };
    apply(&mut s, &moved, 1, 21);
    let at = |a| s.find(a).map(|r| (r.kind, r.perms.to_string()));
    assert_eq!(at(0x10000), Some((RegionKind::Anon, "rw-p".into())));
    assert_eq!(at(0x40000), Some((RegionKind::File, "r--s".into())));
    assert_eq!(s.totals().virtual_bytes, 4 * P);
}

#[test]
fn the_mapping_threads_own_unmap_still_applies() {
    let mut s = AddressSpace::new();
    apply(&mut s, &mmap(0x10000, 1), 1, 10);
    apply(&mut s, &mmap(0x10000, 2), 2, 20);
    apply(&mut s, &munmap(0x10000, 2), 2, 30);
    assert_eq!(s.totals().virtual_bytes, 0);
    // And a fixed mapping over a live one is a replacement, not a sign of a late event.
    apply(&mut s, &mmap(0x20000, 1), 1, 40);
    let fixed = Kind::Mmap {
        addr: 0x20000,
        len: P,
        prot: 1,
        flags: 0x32,
        fd: -1,
        offset: 0,
        ret: 0x20000,
    };
    apply(&mut s, &fixed, 2, 41);
    apply(&mut s, &munmap(0x20000, 1), 1, 42);
    assert_eq!(s.totals().virtual_bytes, 0);
}
