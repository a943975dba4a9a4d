//! Keeping the published processes up to date with the ledger, touching only what changed:
//! a process whose ledger entry did not change keeps its entry (and the published map shares
//! it), so a snapshot costs in proportion to what happened, not to how many processes exist.

use crate::ledger::Ledger;
use crate::stats::Growth;
use crate::view::{ProcessEntry, process_view};
use std::sync::Arc;

/// The published processes.
#[derive(Debug, Default)]
pub struct Publisher {
    processes: imbl::OrdMap<u32, Arc<ProcessEntry>>,
}

impl Publisher {
    /// Brings the entries of `pids` up to date with the ledger: rebuilt when the process is
    /// known in full, dropped when it is gone or being read again.
    pub fn update(
        &mut self,
        ledger: &Ledger,
        growth: &Growth,
        pids: impl IntoIterator<Item = u32>,
    ) {
        for pid in pids {
            match entry(ledger, growth, pid) {
                Some(e) => {
                    self.processes.insert(pid, Arc::new(e));
                }
                None => {
                    self.processes.remove(&pid);
                }
            }
        }
    }

    /// Gives every entry the growth figures of the latest sample (most have none to change).
    pub fn regrow(&mut self, growth: &Growth) {
        let changed: Vec<(u32, i64, i64)> = self
            .processes
            .iter()
            .filter_map(|(&pid, e)| {
                let rate = growth.per_second(pid).round() as i64;
                let window = growth.over_window(pid);
                let v = &e.view;
                (v.growth_bytes_per_second != rate || v.growth_bytes != window)
                    .then_some((pid, rate, window))
            })
            .collect();
        for (pid, rate, window) in changed {
            if let Some(e) = self.processes.get_mut(&pid) {
                let e = Arc::make_mut(e);
                e.view.growth_bytes_per_second = rate;
                e.view.growth_bytes = window;
            }
        }
    }

    /// The entries, as a frozen copy.
    pub fn processes(&self) -> imbl::OrdMap<u32, Arc<ProcessEntry>> {
        self.processes.clone()
    }
}

fn entry(ledger: &Ledger, growth: &Growth, pid: u32) -> Option<ProcessEntry> {
    if !ledger.is_filled(pid) {
        return None;
    }
    let space = ledger.space(pid)?;
    let process = ledger.process(pid)?;
    let mut view = process_view(process, space);
    view.growth_bytes_per_second = growth.per_second(pid).round() as i64;
    view.growth_bytes = growth.over_window(pid);
    Some(ProcessEntry {
        view,
        regions: space.region_map().clone(),
        start_ns: process.start_ns,
        since_ns: process.since_ns,
    })
}
