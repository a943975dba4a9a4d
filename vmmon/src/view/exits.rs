//! A process that left, as `GET /api/v1/exits` shows it: its footprint.

use super::{ExitSites, RefusedView};
use crate::event::ExitCause;
use crate::ledger::Exited;
use crate::symbolize::SiteView;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One recent exit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExitView {
    pub pid: u32,
    pub comm: String,
    /// The container or systemd unit it ran in; null when unknown.
    pub unit: Option<String>,
    /// When it started and when it left (`CLOCK_MONOTONIC` nanoseconds).
    pub start_ns: u64,
    pub exit_ns: u64,
    /// How long it lived.
    pub lifetime_seconds: f64,
    /// Its peak virtual size (`VmPeak`) and peak resident size (`VmHWM`), and its mappings
    /// as it left; null when the kernel's figures are not available.
    pub peak_virtual_bytes: Option<u64>,
    pub peak_resident_bytes: Option<u64>,
    pub mapping_count: Option<u32>,
    /// Its calls over its life and the bytes it mapped and unmapped (`calls`,
    /// `mapped_bytes`, `unmapped_bytes`).
    #[serde(flatten)]
    pub counts: super::Counts,
    /// Who it was (for the API's access checks; not shown: its uid is what `/proc` showed).
    #[serde(skip)]
    pub ids: Option<crate::access::Ids>,
    /// How it ended: `exit` with its code, `signal` with its name, or `oom_kill`; null when
    /// the kernel did not say.
    #[serde(default)]
    pub cause: Option<ExitCause>,
    /// The calls the kernel refused it for want of memory or of room for a mapping.
    #[serde(default)]
    pub refused: Option<RefusedView>,
    /// What held its mapped bytes as it left: its top call sites (at most 8), named as
    /// `/sites` names them, then the bytes no captured call made. Empty when no site was
    /// captured, or for a peer who may not read its maps.
    #[serde(default)]
    pub sites: Vec<SiteView>,
    /// What naming `sites` needs (filled in per peer by the API).
    #[serde(skip)]
    pub held: Option<Arc<ExitSites>>,
}

impl ExitView {
    /// What a peer who may not read its maps sees: its numbers, no sites nor frames.
    pub fn numbers_only(&mut self) {
        self.sites.clear();
        if let Some(r) = &mut self.refused {
            r.numbers_only();
        }
    }
}

impl From<&Exited> for ExitView {
    fn from(x: &Exited) -> Self {
        Self {
            pid: x.pid,
            comm: x.comm.to_string_lossy().into_owned(),
            unit: x.unit.as_deref().map(str::to_string),
            start_ns: x.start_ns,
            exit_ns: x.exit_ns,
            lifetime_seconds: x.exit_ns.saturating_sub(x.start_ns) as f64 / 1e9,
            peak_virtual_bytes: x.peak_virtual_bytes,
            peak_resident_bytes: x.peak_resident_bytes,
            mapping_count: x.mappings,
            counts: super::Counts {
                calls: x.calls,
                mapped_bytes: x.mapped_bytes,
                unmapped_bytes: x.unmapped_bytes,
            },
            ids: x.ids,
            cause: x.cause.clone(),
            refused: x.refused.as_deref().and_then(RefusedView::of),
            sites: Vec::new(),
            held: None,
        }
    }
}
