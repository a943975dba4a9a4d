//! A process whose address space was released, as it left: its footprint, how it ended and
//! what held its memory.

use super::process::Process;
use super::refused::Refused;
use super::sites::{NO_SITE, SiteTotal};
use super::space::{AddressSpace, RegionMap};
use crate::event::{Comm, Event, ExitCause, ExitStatus, Footprint};
use crate::ledger::CallCounts;

/// A process whose address space was released: its footprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exited {
    pub pid: u32,
    pub comm: Comm,
    pub unit: Option<std::sync::Arc<str>>,
    /// When it started and when it exited (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    pub exit_ns: u64,
    /// The kernel's figures at the exit, when known.
    pub peak_virtual_bytes: Option<u64>,
    pub peak_resident_bytes: Option<u64>,
    pub mappings: Option<u32>,
    /// Its calls to the end, and the bytes it mapped and unmapped.
    pub calls: CallCounts,
    pub mapped_bytes: u64,
    pub unmapped_bytes: u64,
    /// Who it was as it left, when the kernel said.
    pub ids: Option<crate::access::Ids>,
    /// How it ended, when the kernel said.
    pub cause: Option<ExitCause>,
    /// The calls the kernel refused it.
    pub refused: Option<Box<Refused>>,
    /// What held its mapped bytes as it left: its top call sites, most bytes first (at most
    /// [`EXIT_SITES`]), then the bytes no captured call made.
    pub sites: Vec<SiteTotal>,
    /// Its mappings as it left, when some call site is known (to name the sites' frames
    /// with); the owner keeps only the ones the frames are in.
    pub regions: Option<RegionMap>,
}

/// The most call sites an exit keeps.
pub const EXIT_SITES: usize = 8;

impl Exited {
    /// The footprint of `p`, whose last thread left (event `e`, with the kernel's `footprint`
    /// and `status` when it gave them), with `space` as the ledger had it.
    pub(super) fn new(
        p: &Process,
        e: &Event,
        (footprint, status): (Option<&Footprint>, Option<ExitStatus>),
        space: Option<&AddressSpace>,
    ) -> Self {
        let totals = space.map(|s| s.totals());
        let sites = space.map(|s| top_sites(s.sites())).unwrap_or_default();
        let regions = space
            .filter(|_| sites.iter().any(|t| t.site != NO_SITE))
            .map(|s| s.region_map().clone());
        Exited {
            pid: e.tgid,
            comm: e.comm,
            unit: p.unit.clone(),
            start_ns: footprint
                .map(|f| f.start_ns)
                .or(p.start_ns)
                .unwrap_or(p.since_ns),
            exit_ns: e.ts_ns,
            peak_virtual_bytes: e.figures.map(|f| f.peak_virtual_bytes),
            peak_resident_bytes: footprint.map(|f| f.resident.peak_bytes),
            mappings: e.figures.map(|f| f.mappings),
            calls: p.calls,
            mapped_bytes: totals.map_or(0, |t| t.mapped_bytes),
            unmapped_bytes: totals.map_or(0, |t| t.unmapped_bytes),
            ids: footprint.and_then(|f| f.ids),
            cause: status.map(|s| s.cause().seen_chosen(p.oom_victim_ns.is_some())),
            refused: p.refused.clone(),
            sites,
            regions,
        }
    }
}

/// The call sites an exit keeps out of `totals` (most bytes first): the top
/// [`EXIT_SITES`] named ones, then the bytes no captured call made.
fn top_sites(totals: Vec<SiteTotal>) -> Vec<SiteTotal> {
    let rest = totals.iter().find(|t| t.site == NO_SITE).copied();
    let mut top: Vec<SiteTotal> = totals
        .into_iter()
        .filter(|t| t.site != NO_SITE)
        .take(EXIT_SITES)
        .collect();
    top.extend(rest);
    top
}
