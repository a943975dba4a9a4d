//! `vmmon maps PID --by-site`: what each call site of a process still holds, as text.

use vmmon::format::human_bytes;
use vmmon::symbolize::ProcessSites;

/// One call site per block: its bytes and mappings, then its frames, innermost first.
pub fn render(p: &ProcessSites) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}:   {}   (call sites captured: {})",
        p.pid,
        p.comm.escape_default(),
        p.call_sites
    );
    let _ = writeln!(out, "{:>10} {:>5}  Call site", "Bytes", "Maps");
    for s in &p.sites {
        let head = format!("{:>10} {:>5}  ", human_bytes(s.bytes), s.regions);
        let indent = " ".repeat(head.len() + 2);
        match (&s.site, s.frames.split_first()) {
            (None, _) => {
                let _ = writeln!(
                    out,
                    "{head}(no captured call: mapped before the agent started, by exec, or \
                     under the capture threshold)"
                );
            }
            (Some(id), None) => {
                let _ = writeln!(out, "{head}site {id} (its frames are not known)");
            }
            (Some(_), Some((first, rest))) => {
                let _ = writeln!(out, "{head}{}", first.text());
                for f in rest {
                    let _ = writeln!(out, "{indent}{}", f.text());
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{:>10} {:>5}  mapped in all",
        human_bytes(p.virtual_bytes),
        ""
    );
    out
}

#[cfg(test)]
mod tests {
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
        assert!(
            lines[2].contains("5.0M") && lines[2].contains("grow_arena+0x21 (/opt/app+0x12d1)")
        );
        assert!(
            lines[3]
                .trim_start()
                .starts_with("/opt/app+0x131e [no symbols]")
        );
        assert!(lines[4].contains("no captured call"));
        assert!(lines[5].contains("9.0M") && lines[5].ends_with("mapped in all"));
    }
}
