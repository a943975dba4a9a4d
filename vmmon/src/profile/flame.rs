//! Flame graphs of what call sites hold: folded stacks (root to leaf, widths in bytes) drawn
//! by inferno.

use super::{NO_CAPTURED_CALL, ProcessProfile, frame_name};

/// Folded stacks, one line per site: `root;...;leaf bytes`, the outermost frame first. With
/// `per_process`, each stack starts with its process (`comm (pid)`). Frames are named as in
/// profiles, with `;` (the separator) replaced.
pub fn folded(processes: &[ProcessProfile<'_>], per_process: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for p in processes {
        for s in p.sites.iter().filter(|s| s.bytes > 0) {
            let mut stack: Vec<String> = Vec::new();
            if per_process {
                stack.push(format!("{} ({})", p.comm, p.pid));
            }
            if s.site.is_none() || s.frames.is_empty() {
                stack.push(NO_CAPTURED_CALL.to_string());
            } else {
                stack.extend(s.frames.iter().rev().map(frame_name));
            }
            let stack: Vec<String> = stack.iter().map(|f| f.replace(';', ":")).collect();
            lines.push(format!("{} {}", stack.join(";"), s.bytes));
        }
    }
    lines
}

/// The flame graph (SVG) of `processes`' call sites: widths in bytes still mapped.
pub fn flame_graph(
    processes: &[ProcessProfile<'_>],
    per_process: bool,
    title: &str,
) -> Result<Vec<u8>, String> {
    let lines = folded(processes, per_process);
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "bytes".to_string();
    opts.name_type = "Call site:".to_string();
    let mut svg = Vec::new();
    if lines.is_empty() {
        // inferno refuses an empty graph: say there is nothing, as an SVG still.
        let text = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"600\" height=\"40\"><text x=\"10\" y=\"25\">{}: no bytes held by a call site</text></svg>\n",
            escape(title)
        );
        return Ok(text.into_bytes());
    }
    inferno::flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), &mut svg)
        .map_err(|e| e.to_string())?;
    Ok(svg)
}

/// `s` safe inside XML text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
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
}
