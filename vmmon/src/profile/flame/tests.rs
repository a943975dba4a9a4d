use super::*;
use crate::symbolize::{Frame, SiteView};

fn frame(function: Option<&str>, offset: u64) -> Frame {
    Frame {
        address: 0x5555_0000_0000 + offset,
        module: Some("/usr/bin/app".into()),
        build_id: None,
        offset: Some(offset),
        function: function.map(str::to_string),
        function_offset: function.map(|_| 4),
        marker: None,
    }
}

fn sites() -> Vec<SiteView> {
    vec![
        SiteView {
            site: Some("00000000000000aa".into()),
            bytes: 5 << 20,
            regions: 1,
            frames: vec![frame(Some("grow"), 0x10), frame(Some("main"), 0x20)],
        },
        SiteView {
            site: Some("00000000000000bb".into()),
            bytes: 3 << 20,
            regions: 2,
            frames: vec![frame(None, 0x30), frame(Some("a;b"), 0x40)],
        },
        SiteView {
            site: None,
            bytes: 1 << 20,
            regions: 9,
            frames: Vec::new(),
        },
    ]
}

#[test]
fn stacks_go_root_to_leaf_with_bytes_as_widths() {
    let sites = sites();
    let p = ProcessProfile {
        pid: 42,
        comm: "app",
        unit: None,
        regions: None,
        sites: &sites,
    };
    assert_eq!(
        folded(&[p], false),
        [
            "main;grow 5242880",
            "a:b;/usr/bin/app+0x30 3145728",
            "[no captured call] 1048576"
        ]
    );
    assert_eq!(folded(&[p], true)[0], "app (42);main;grow 5242880");
    let svg = String::from_utf8(flame_graph(&[p], false, "vmmon").unwrap()).unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("grow"), "{svg}");
    assert!(svg.contains("5,242,880 bytes"), "widths in bytes");
    let empty = flame_graph(&[], true, "a <title>").unwrap();
    let empty = String::from_utf8(empty).unwrap();
    assert!(empty.contains("a &lt;title&gt;: no bytes"), "{empty}");
}
