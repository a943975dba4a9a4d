use super::*;
use crate::ledger::{Origin, Perms, Region, RegionKind};
use std::sync::Arc;

fn region(start: u64, end: u64, exec: bool) -> Region {
    let perms = Perms::from_prot(if exec { 5 } else { 3 }, false);
    Region::new(start, end, perms, RegionKind::File, Origin::Procfs)
}

#[test]
fn it_keeps_only_the_frames_and_mappings_its_sites_need() {
    let regions: RegionMap = [
        region(0x1000, 0x2000, true),
        region(0x2000, 0x3000, false),
        region(0x9000, 0xa000, true),
    ]
    .into_iter()
    .map(|r| (r.start, r))
    .collect();
    let mut table = SiteTable::new();
    table.insert(7, Arc::from(vec![0x1010u64, 0x9020]));
    table.insert(8, Arc::from(vec![0x5000u64]));
    let totals = vec![
        SiteTotal {
            site: 7,
            bytes: 4096,
            regions: 1,
        },
        SiteTotal {
            site: 0,
            bytes: 100,
            regions: 2,
        },
    ];
    let kept = ExitSites::keep(totals.clone(), None, &table, Some(&regions)).unwrap();
    assert_eq!(kept.table.len(), 1, "site 8 is not the exit's");
    let starts: Vec<u64> = kept.regions.values().map(|r| r.start).collect();
    assert_eq!(starts, vec![0x1000, 0x9000]);
    assert_eq!(kept.totals, totals);
    // With no site known, nothing to keep.
    assert!(ExitSites::keep(totals, None, &SiteTable::new(), Some(&regions)).is_none());
}
