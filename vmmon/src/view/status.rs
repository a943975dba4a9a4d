//! The agent's own accounting (`GET /api/v1/status`).

use crate::ledger::Counters;
use crate::source::KernelCounters;
use crate::stats::Histogram;
use serde::{Deserialize, Serialize};

/// The agent's own accounting.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Status {
    pub events_received: u64,
    pub decode_errors: u64,
    pub kernel: KernelCounters,
    pub processes: usize,
    pub ledger: Counters,
    /// Processes still waiting for their first read at start-up.
    pub bootstrap_pending: usize,
    /// How long the start-up read of every process took, once done.
    pub bootstrap_ms: Option<u64>,
    /// `/proc` maps lines that did not parse (skipped).
    pub malformed_lines: u64,
    /// Processes whose maps could not be read (permission, I/O).
    pub unreadable: u64,
    /// Processes re-read from `/proc` each second, round robin (the running configuration's
    /// `agent.resyncs_per_second`: a reload changes it at once).
    #[serde(default)]
    pub resyncs_per_second: u32,
    /// The window of each process's `growth_bytes`.
    pub growth_window_seconds: u64,
    /// How long the ring went undrained between two drains.
    #[serde(default)]
    pub drain_gaps: Histogram,
    /// Whether the records carry the kernel's figures, so that every ledger is checked
    /// against them (false when this kernel's BTF lacks a field they need).
    #[serde(default)]
    pub self_check: bool,
    /// What the kernel's BTF lacks, when `self_check` is false.
    #[serde(default)]
    pub self_check_missing: Vec<String>,
    /// Sweeps of every process's figures folded in, and those that failed.
    #[serde(default)]
    pub sweeps: u64,
    #[serde(default)]
    pub sweep_errors: u64,
    /// Which calls have their call site captured: `off`, `all`, or a size.
    #[serde(default)]
    pub call_sites: String,
}
