use super::*;
use crate::ledger::{Ledger, MapsRead};
use crate::procfs::parse_maps;

#[test]
fn views_carry_the_documented_fields() {
    let (regions, _) = parse_maps(
        "1000-3000 r-xp 00000000 00:1f 5 /bin/x\n\
             3000-4000 rwxp 00000000 00:00 0\n\
             5000-9000 rw-p 00000000 00:00 0 [heap]\n",
    );
    let mut l = Ledger::new();
    l.insert_snapshot(
        7,
        crate::event::Comm::new(*b"x\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
        MapsRead {
            regions,
            start_brk: 0x5000,
            taken_ns: 0,
            done_ns: 0,
        },
    );
    let v = process_view(l.process(7).unwrap(), l.space(7).unwrap());
    assert_eq!((v.pid, v.comm.as_str()), (7, "x"));
    assert_eq!(v.virtual_bytes, 0x7000);
    assert_eq!(v.mapping_count, 3);
    assert_eq!(v.heap_bytes, 0x4000);
    assert_eq!(v.wx_bytes, 0x1000);
    assert_eq!(v.bytes_by_kind.file, 0x2000);
    let json = serde_json::to_value(&v).unwrap();
    for f in ["pid", "comm", "virtual_bytes", "mapping_count"] {
        assert!(json.get(f).is_some(), "{f} missing");
    }
    let r: Vec<_> = l.space(7).unwrap().regions().map(region_view).collect();
    let json = serde_json::to_value(&r[1]).unwrap();
    assert_eq!(json["perms"], "rwxp");
    assert_eq!(json["path"], serde_json::Value::Null);
    assert_eq!(json["start"], 0x3000);
    assert_eq!(json["end"], 0x4000);
    assert_eq!(json["kind"], "anon");
    assert_eq!(serde_json::to_value(&r[0]).unwrap()["path"], "/bin/x");
}

#[test]
fn touching_neighbours_of_one_kind_merge_like_the_kernels() {
    let (regions, _) = parse_maps(
        "1000-2000 rw-p 00000000 00:00 0\n\
             2000-3000 rw-p 00000000 00:00 0\n\
             3000-4000 r--p 00000000 00:00 0\n\
             5000-6000 r--p 00000000 00:00 0\n\
             6000-7000 r--p 00001000 00:1f 5 /bin/x\n\
             7000-8000 r--p 00002000 00:1f 5 /bin/x\n\
             8000-9000 r--p 00009000 00:1f 5 /bin/x\n",
    );
    let views: Vec<RegionView> = regions.iter().map(region_view).collect();
    let merged = merge_adjacent(views);
    let spans: Vec<(u64, u64)> = merged.iter().map(|r| (r.start, r.end)).collect();
    assert_eq!(
        spans,
        [
            (0x1000, 0x3000),
            (0x3000, 0x4000),
            (0x5000, 0x6000),
            (0x6000, 0x8000),
            (0x8000, 0x9000)
        ]
    );
}
