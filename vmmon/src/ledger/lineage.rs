//! A process's life in the ledger: fork (a copy of its address space, or the same one
//! shared), exec (a new, unfilled one) and exit (its footprint as it left).

use super::book::{Fork, Ledger};
use super::process::EXIT_SITES;
use super::process::{Exited, Kernel, Need, Process, Reason};
use super::sites::{NO_SITE, SiteTotal};
use crate::event::{Event, ExitStatus, Footprint};

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

impl Ledger {
    /// A new image for `e.tgid`: an address space its first `/proc` read will fill.
    pub(super) fn exec(&mut self, e: &Event) -> Need {
        self.track_unfilled(e.tgid, e.comm, (e.ts_ns, e.ts_ns), true);
        if let Some(p) = self.procs.get_mut(&e.tgid) {
            p.kernel = e.figures.map(|figures| Kernel {
                figures,
                at_ns: e.ts_ns,
                resident: None,
            });
        }
        Need {
            tgid: e.tgid,
            reason: Reason::Exec,
        }
    }

    /// A thread of `e.tgid` left; when it was the last (`group_dead`), the process is
    /// forgotten and its footprint returned.
    pub(super) fn exit(
        &mut self,
        e: &Event,
        group_dead: bool,
        (footprint, status): (Option<&Footprint>, Option<ExitStatus>),
    ) -> Option<Exited> {
        if !group_dead {
            return None;
        }
        let space = self
            .procs
            .get(&e.tgid)
            .and_then(|p| self.spaces.get(&p.space))
            .map(|s| &s.space);
        let totals = space.map(|s| s.totals());
        let sites = space.map(|s| top_sites(s.sites())).unwrap_or_default();
        let regions = space
            .filter(|_| sites.iter().any(|t| t.site != NO_SITE))
            .map(|s| s.region_map().clone());
        let exited = self.procs.get(&e.tgid).map(|p| Exited {
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
        });
        self.forget(e.tgid);
        exited
    }

    /// A process forked `child`: a thread (nothing to do), a child sharing the address space
    /// (vfork, `CLONE_VM`) or one with a copy of it.
    pub(super) fn fork(&mut self, e: &Event, child: u32, flags: Option<u64>) -> Option<Need> {
        if e.is_thread() == Some(true) {
            return None;
        }
        let Some(parent) = self.procs.get(&e.tgid).cloned() else {
            self.track_unfilled(child, e.comm, (e.ts_ns, e.ts_ns), false);
            return Some(Need {
                tgid: child,
                reason: Reason::Unknown,
            });
        };
        if flags.is_none() {
            self.track_unfilled(child, e.comm, (e.ts_ns, e.ts_ns), false);
            return Some(Need {
                tgid: child,
                reason: Reason::Unknown,
            });
        }
        if let Some(old) = self.procs.remove(&child) {
            self.counters.pid_reuse += 1;
            self.release(old.space);
        }
        let mut need = None;
        let space = if e.shares_vm() == Some(true) {
            // vfork or a CLONE_VM child: the same address space until it execs or exits.
            let s = self.spaces.get_mut(&parent.space).expect("parent's space");
            s.users += 1;
            parent.space
        } else {
            let src = &self.spaces[&parent.space];
            // Shares the parent's region map until either side changes it; what the parent
            // marked MADV_DONTFORK is not copied.
            let mut copy = src.space.clone();
            copy.drop_dontcopy();
            let unfilled = src.unfilled;
            if unfilled {
                // The parent's own snapshot has not come yet, and the child will not get it:
                // the child needs one of its own.
                need = Some(Need {
                    tgid: child,
                    reason: Reason::Unknown,
                });
            }
            let id = self.new_space(copy, unfilled, e.ts_ns);
            let src = self.spaces.get_mut(&parent.space).expect("parent's space");
            if src.forks.len() >= 64 {
                src.forks.remove(0);
            }
            src.forks.push(Fork {
                space: id,
                pid: child,
                ts_ns: e.ts_ns,
            });
            id
        };
        self.touched.insert(child);
        let mut p = Process::new(child, parent.comm, space, e.ts_ns);
        (p.unit, p.uid) = (parent.unit.clone(), parent.uid);
        p.kernel = e.figures.map(|figures| Kernel {
            figures,
            at_ns: e.ts_ns,
            resident: None,
        });
        self.procs.insert(child, p);
        need
    }
}
