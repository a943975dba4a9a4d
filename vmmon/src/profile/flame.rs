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
mod tests;
