use super::*;
use crate::ledger::Origin;

fn r(start: u64, end: u64, perms: &str, kind: RegionKind) -> Region {
    Region::new(start, end, Perms::parse(perms).unwrap(), kind, Origin::Mmap)
}

#[test]
fn adding_and_removing_regions_keeps_every_sum() {
    let a = r(0, 0x3000, "rwxp", RegionKind::Anon);
    let b = r(0x3000, 0x4000, "---p", RegionKind::Heap);
    let c = r(0x4000, 0x6000, "r--s", RegionKind::Shm);
    let mut f = Sums::of([&a, &b, &c]);
    assert_eq!(f.by_kind.get(RegionKind::Anon), 0x3000);
    assert_eq!(f.by_kind.heap, 0x1000);
    assert_eq!(f.mappings_by_kind.get(RegionKind::Anon), 1);
    assert_eq!(f.mappings_by_kind.by_kind().shm, 1);
    assert_eq!(
        f.by_perm,
        PermBytes {
            read: 0x5000,
            write: 0x3000,
            exec: 0x3000,
            shared: 0x2000,
            write_exec: 0x3000,
            none: 0x1000,
        }
    );
    f.sub(&a);
    f.sub(&c);
    assert_eq!(f, Sums::of([&b]));
    f.sub(&b);
    assert_eq!(f, Sums::default());
}
