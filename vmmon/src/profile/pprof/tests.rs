use super::*;
use crate::ledger::{Origin, Perms, Region, RegionKind, RegionMap};
use crate::symbolize::{Marker, SiteView};

fn text_region(start: u64, path: &str) -> Region {
    let mut r = Region::new(
        start,
        start + 0x4000,
        Perms::parse("r-xp").unwrap(),
        RegionKind::File,
        Origin::Procfs,
    );
    r.path = Some(path.into());
    r.offset = 0x1000;
    r
}

fn frame(address: u64, module: &str, function: Option<&str>) -> Frame {
    Frame {
        address,
        module: Some(module.into()),
        build_id: Some("abcd".into()),
        offset: Some(address - 0x10000 + 0x1000),
        function: function.map(str::to_string),
        function_offset: function.map(|_| 1),
        marker: function.is_none().then_some(Marker::NoSymbols),
    }
}

fn strings(p: &Profile, i: i64) -> &str {
    &p.string_table[i as usize]
}

#[test]
fn a_profile_round_trips_with_its_sample_types_mappings_functions_and_labels() {
    let regions: RegionMap = [text_region(0x10000, "/usr/bin/app")]
        .into_iter()
        .map(|r| (r.start, r))
        .collect();
    let sites = vec![
        SiteView {
            site: Some("aa".into()),
            bytes: 5 << 20,
            regions: 1,
            frames: vec![
                frame(0x10010, "/usr/bin/app", Some("grow")),
                frame(0x10020, "/usr/bin/app", Some("main")),
            ],
        },
        // Unnamed: an address in its module, for pprof to symbolize later.
        SiteView {
            site: Some("bb".into()),
            bytes: 3 << 20,
            regions: 2,
            frames: vec![frame(0x10030, "/usr/bin/app", None)],
        },
        SiteView {
            site: None,
            bytes: 1 << 20,
            regions: 7,
            frames: Vec::new(),
        },
    ];
    let mut b = PprofBuilder::new();
    b.add(&ProcessProfile {
        pid: 42,
        comm: "app",
        unit: Some("app.service"),
        regions: Some(&regions),
        sites: &sites,
    });
    let bytes = encode_pprof(&b.finish(1_700_000_000_000_000_000));
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "gzipped");
    let p = decode_pprof(&bytes).unwrap();
    let types: Vec<(&str, &str)> = p
        .sample_type
        .iter()
        .map(|t| (strings(&p, t.ty), strings(&p, t.unit)))
        .collect();
    assert_eq!(
        types,
        [("inuse_objects", "count"), ("inuse_space", "bytes")]
    );
    assert_eq!(strings(&p, p.default_sample_type), "inuse_space");
    assert_eq!(p.string_table[0], "");
    let values: Vec<Vec<i64>> = p.sample.iter().map(|s| s.value.clone()).collect();
    assert_eq!(
        values,
        [vec![1, 5 << 20], vec![2, 3 << 20], vec![7, 1 << 20]]
    );
    // One mapping, as the kernel had it.
    assert_eq!(p.mapping.len(), 1);
    let m = &p.mapping[0];
    assert_eq!(
        (m.memory_start, m.memory_limit, m.file_offset),
        (0x10000, 0x14000, 0x1000)
    );
    assert_eq!(strings(&p, m.filename), "/usr/bin/app");
    assert_eq!(strings(&p, m.build_id), "abcd");
    assert!(m.has_functions);
    // The leaf first; named frames have a function, the unnamed one an address only.
    let loc = |id: u64| &p.location[id as usize - 1];
    let fname = |l: &Location| {
        l.line
            .first()
            .map(|line| strings(&p, p.function[line.function_id as usize - 1].name))
    };
    let first: Vec<Option<&str>> = p.sample[0]
        .location_id
        .iter()
        .map(|&id| fname(loc(id)))
        .collect();
    assert_eq!(first, [Some("grow"), Some("main")]);
    let unnamed = loc(p.sample[1].location_id[0]);
    assert_eq!(
        (unnamed.address, unnamed.mapping_id, fname(unnamed)),
        (0x10030, 1, None)
    );
    let rest = loc(p.sample[2].location_id[0]);
    assert_eq!(fname(rest), Some(NO_CAPTURED_CALL));
    let labels: Vec<(&str, &str)> = p.sample[0]
        .label
        .iter()
        .map(|l| (strings(&p, l.key), strings(&p, l.str)))
        .collect();
    assert_eq!(
        labels,
        [("pid", "42"), ("comm", "app"), ("unit", "app.service")]
    );
    assert_eq!(p.time_nanos, 1_700_000_000_000_000_000);
}

#[test]
fn an_empty_profile_is_still_one_pprof_reads() {
    let p = decode_pprof(&encode_pprof(&PprofBuilder::new().finish(0))).unwrap();
    assert!(p.sample.is_empty() && p.location.is_empty());
    assert_eq!(p.sample_type.len(), 2);
    assert!(decode_pprof(b"not gzip").unwrap_err().contains("not gzip"));
}

#[test]
fn a_deleted_module_keeps_its_name_and_a_frame_in_no_mapping_its_address() {
    let mut r = text_region(0x10000, "/opt/plugin.so (deleted)");
    r.kind = RegionKind::DeletedFile;
    let regions: RegionMap = [(r.start, r)].into_iter().collect();
    let mut gone = frame(0x90000, "?", None);
    gone.module = None;
    gone.marker = Some(Marker::Gone);
    let sites = vec![SiteView {
        site: Some("cc".into()),
        bytes: 4096,
        regions: 1,
        frames: vec![frame(0x10010, "/opt/plugin.so (deleted)", None), gone],
    }];
    let mut b = PprofBuilder::new();
    b.add(&ProcessProfile {
        pid: 7,
        comm: "x",
        unit: None,
        regions: Some(&regions),
        sites: &sites,
    });
    let p = decode_pprof(&encode_pprof(&b.finish(0))).unwrap();
    assert_eq!(
        strings(&p, p.mapping[0].filename),
        "/opt/plugin.so (deleted)"
    );
    assert!(!p.mapping[0].has_functions);
    let ids = &p.sample[0].location_id;
    let outer = &p.location[ids[1] as usize - 1];
    assert_eq!(
        (outer.address, outer.mapping_id),
        (0x90000, 0),
        "in no mapping"
    );
    assert_eq!(p.sample[0].label.len(), 2, "no unit label when unknown");
}
