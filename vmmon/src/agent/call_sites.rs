//! The owner's table of call sites: every site's frames by id, as events bring them, pruned
//! of the sites no region holds any more.

use crate::event::Event;
use crate::ledger::{Ledger, SiteTable};
use std::collections::HashSet;

/// Pruning waits until the table has at least this many sites.
const PRUNE_FROM: usize = 1024;

/// Every call site's frames, by id.
#[derive(Debug, Default)]
pub struct CallSites {
    table: SiteTable,
    /// Call sites known at the last pruning.
    pruned_at: usize,
}

impl CallSites {
    /// Keeps the frames of the event's call site, the first time it is seen.
    pub fn note(&mut self, e: &Event) {
        if let Some(site) = &e.site {
            let id = site.id();
            if !self.table.contains_key(&id) {
                self.table.insert(id, site.frames());
            }
        }
    }

    /// Forgets the call sites no region of `ledger` holds bytes of any more (nor a refused
    /// call kept), once the table has doubled since it was last pruned (a walk of every
    /// region).
    pub fn prune(&mut self, ledger: &Ledger) {
        if self.table.len() < PRUNE_FROM || self.table.len() < 2 * self.pruned_at {
            return;
        }
        let mut held = HashSet::new();
        for p in ledger.processes() {
            if let Some(space) = ledger.space(p.tgid) {
                for t in space.sites() {
                    held.insert(t.site);
                }
            }
            // A refused call holds no bytes, but its site is shown until the process leaves.
            held.extend(p.refused.iter().flat_map(|r| r.sites()));
        }
        self.table.retain(|id, _| held.contains(id));
        self.pruned_at = self.table.len();
    }

    /// Every call site's frames, by id.
    pub fn table(&self) -> &SiteTable {
        &self.table
    }
}
