//! Prometheus exposition of a published [`Snapshot`], rendered with the `prometheus` crate.
//! Pure: a snapshot in, text out. A fresh registry per scrape, so the series of exited
//! processes are gone at once.
//!
//! - [`families`]: the per-process, per-comm and per-unit families (which processes and
//!   groups are named comes from the owner's tally, `view::tally`);
//! - [`histogram_family`]: the one way the owner's histograms are exposed, with their counts;
//! - [`machine`]: machine-wide totals and the agent's own health.

mod families;
mod histogram_family;
mod machine;
#[cfg(test)]
mod tests;

use crate::view::Snapshot;
use prometheus::{Encoder, Registry, TextEncoder};

/// What a scrape reads of the machine when it comes: the agent's own use of it, and the
/// mapping limit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OwnUsage {
    pub cpu_seconds: f64,
    pub resident_bytes: u64,
    /// `vm.max_map_count`, when it could be read.
    pub max_map_count: Option<u64>,
    /// Reads of `vm.max_map_count` that failed since the agent started.
    pub max_map_count_errors: u64,
}

/// The exposition text for one scrape.
pub fn render(snapshot: &Snapshot, own: &OwnUsage) -> String {
    match build(snapshot, own) {
        Ok(r) => {
            let mut out = Vec::new();
            TextEncoder::new()
                .encode(&r.gather(), &mut out)
                .expect("encoding to memory cannot fail");
            String::from_utf8(out).expect("the encoder writes UTF-8")
        }
        Err(e) => format!("# vmmon: building metrics failed: {e}\n"),
    }
}

fn build(s: &Snapshot, own: &OwnUsage) -> prometheus::Result<Registry> {
    let r = Registry::new();
    let procs: Vec<&crate::view::ProcessView> = s.processes.values().map(|e| &e.view).collect();
    families::per_process(&r, &procs, &s.tally, own.max_map_count)?;
    families::per_group(&r, &procs, &s.tally)?;
    machine::register(&r, s, own)?;
    Ok(r)
}
