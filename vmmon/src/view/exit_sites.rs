//! What an exit keeps to name its call sites after the process is gone: its top sites'
//! totals, their frames, and the few mappings those frames are in. Pure; the API names them
//! per peer (addresses are for who may read the process's maps).

use crate::ledger::{Refused, RegionMap, SiteTable, SiteTotal, region_at};

/// An exit's call sites, ready to be named.
#[derive(Clone, Debug)]
pub struct ExitSites {
    /// Its top call sites, most bytes first, then the bytes no captured call made.
    pub totals: Vec<SiteTotal>,
    /// The frames of those sites and of its refused calls' sites, by id.
    pub table: SiteTable,
    /// The mappings the frames are in, as they were when it left.
    pub regions: RegionMap,
    /// Its sites and refused calls once named: the first answer that shows them names them,
    /// the next ones (`vmmon top`'s exits view asks every second) reuse it.
    pub named: std::sync::OnceLock<(Vec<crate::symbolize::SiteView>, Option<super::RefusedView>)>,
}

impl ExitSites {
    /// Keeps what naming `totals` and `refused`'s sites needs out of the agent's `table` and
    /// the process's last `regions`; `None` when no site is known.
    pub fn keep(
        totals: Vec<SiteTotal>,
        refused: Option<&Refused>,
        table: &SiteTable,
        regions: Option<&RegionMap>,
    ) -> Option<Self> {
        let ids = totals
            .iter()
            .map(|t| t.site)
            .chain(refused.into_iter().flat_map(Refused::sites));
        let mut kept = SiteTable::new();
        let mut held = RegionMap::new();
        for id in ids {
            let Some(frames) = table.get(&id) else {
                continue;
            };
            kept.insert(id, frames.clone());
            for &addr in frames.iter() {
                if let Some(r) = regions.and_then(|m| region_at(m, addr)) {
                    held.insert(r.start, r.clone());
                }
            }
        }
        (!kept.is_empty()).then_some(Self {
            totals,
            table: kept,
            regions: held,
            named: std::sync::OnceLock::new(),
        })
    }
}

impl PartialEq for ExitSites {
    /// The same sites with the same frames (the regions follow from them).
    fn eq(&self, other: &Self) -> bool {
        self.totals == other.totals && self.table == other.table
    }
}

#[cfg(test)]
mod tests;
