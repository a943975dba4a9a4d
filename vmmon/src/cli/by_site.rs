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
mod tests;
