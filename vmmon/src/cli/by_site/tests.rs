use super::*;
use vmmon::symbolize::{Frame, Marker, SiteView};

#[test]
fn each_site_shows_its_bytes_then_its_frames() {
    let frame = |f: Option<&str>, off: u64| Frame {
        address: 0x5555_0000_0000 + off,
        module: Some("/opt/app".into()),
        build_id: None,
        offset: Some(off),
        function: f.map(str::to_string),
        function_offset: f.map(|_| 0x21),
        marker: f.is_none().then_some(Marker::NoSymbols),
    };
    let p = ProcessSites {
        pid: 42,
        comm: "app".into(),
        unit: None,
        call_sites: "64KiB".into(),
        virtual_bytes: 9 << 20,
        sites: vec![
            SiteView {
                site: Some("00000000000000a1".into()),
                bytes: 5 << 20,
                regions: 1,
                frames: vec![frame(Some("grow_arena"), 0x12d1), frame(None, 0x131e)],
            },
            SiteView {
                site: None,
                bytes: 4 << 20,
                regions: 12,
                frames: vec![],
            },
        ],
    };
    let text = render(&p);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("42:   app   (call sites captured: 64KiB)"));
    assert!(lines[2].contains("5.0M") && lines[2].contains("grow_arena+0x21 (/opt/app+0x12d1)"));
    assert!(
        lines[3]
            .trim_start()
            .starts_with("/opt/app+0x131e [no symbols]")
    );
    assert!(lines[4].contains("no captured call"));
    assert!(lines[5].contains("9.0M") && lines[5].ends_with("mapped in all"));
}
