//! The owner's table of call sites: every site's frames by id, as events bring them, pruned
//! of the sites no region holds any more.

use super::core::Core;
use crate::event::Event;
use crate::ledger::SiteTable;
use std::collections::HashSet;

impl Core {
    /// Keeps the frames of the event's call site, the first time it is seen.
    pub(super) fn note_site(&mut self, e: &Event) {
        if let Some(site) = &e.site {
            let id = site.id();
            if !self.sites.contains_key(&id) {
                self.sites.insert(id, site.frames());
            }
        }
    }

    /// Forgets the call sites no region holds bytes of any more (nor a refused call kept),
    /// once the table has doubled
    /// since it was last pruned (a walk of every region).
    pub(super) fn prune_sites(&mut self) {
        if self.sites.len() < 1024 || self.sites.len() < 2 * self.sites_pruned_at {
            return;
        }
        let mut held = HashSet::new();
        for p in self.ledger.processes() {
            if let Some(space) = self.ledger.space(p.tgid) {
                for t in space.sites() {
                    held.insert(t.site);
                }
            }
            // A refused call holds no bytes, but its site is shown until the process leaves.
            held.extend(p.refused.iter().flat_map(|r| r.sites()));
        }
        self.sites.retain(|id, _| held.contains(id));
        self.sites_pruned_at = self.sites.len();
    }

    /// Every call site's frames, by id.
    pub fn sites(&self) -> &SiteTable {
        &self.sites
    }
}
