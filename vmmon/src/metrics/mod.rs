//! Prometheus exposition of a published [`Snapshot`], rendered with the `prometheus` crate.
//! Pure: a snapshot in, text out. A fresh registry per scrape, so the series of exited
//! processes are gone at once.
//!
//! - [`select`]: which processes and groups get series of their own (cardinality control);
//! - [`families`]: the per-process, per-comm and per-unit families;
//! - [`machine`]: machine-wide totals and the agent's own health.

mod families;
mod machine;
mod select;
#[cfg(test)]
mod tests;

use crate::config::MetricsConfig;
use crate::view::Snapshot;
use prometheus::{Encoder, Registry, TextEncoder};

/// How much to expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsOptions {
    /// Processes with their own series, by virtual size and (separately) by growth.
    pub top_k: usize,
    /// comm and unit groups with their own series; the rest are summed into "other".
    pub max_groups: usize,
}

impl MetricsOptions {
    /// The options the configuration's `[metrics]` gives.
    pub fn from_config(c: &MetricsConfig) -> Self {
        Self {
            top_k: c.top_k,
            max_groups: c.max_groups,
        }
    }
}

/// The agent's own use of the machine, read when the scrape comes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OwnUsage {
    pub cpu_seconds: f64,
    pub resident_bytes: u64,
}

/// The exposition text for one scrape.
pub fn render(snapshot: &Snapshot, opts: MetricsOptions, own: &OwnUsage) -> String {
    match build(snapshot, opts, own) {
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

fn build(s: &Snapshot, opts: MetricsOptions, own: &OwnUsage) -> prometheus::Result<Registry> {
    let r = Registry::new();
    let procs: Vec<&crate::view::ProcessView> = s.processes.values().map(|e| &e.view).collect();
    families::per_process(&r, &procs, opts.top_k)?;
    families::per_group(&r, &procs, opts.max_groups)?;
    machine::register(&r, s, own)?;
    Ok(r)
}
