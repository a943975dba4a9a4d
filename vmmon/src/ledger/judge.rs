//! The ledger held to the kernel's figures as they come: a record's, once its call is
//! applied, and a sweep's. (When figures may judge and what a difference means is in
//! `check.rs`.)

use super::book::Ledger;
use super::check::Verdict;
use super::process::{Applied, Kernel, Need, Process, Reason};
use crate::event::{Figures, Swept};

impl Ledger {
    /// Holds `tgid`'s ledger to figures `f` read at `at_ns` (a record's, once its call is
    /// applied, or a sweep's): keeps them as the kernel's latest, and judges the ledger when
    /// its address space is known in full and is its own.
    pub(super) fn check(&mut self, tgid: u32, f: &Figures, at_ns: u64) -> Option<Verdict> {
        let p = self.procs.get_mut(&tgid)?;
        if p.kernel.is_some_and(|k| k.at_ns > at_ns) {
            // Read before figures already taken (a sweep that raced an exec, a record from
            // another CPU): older than what the ledger holds, they judge nothing.
            return None;
        }
        // What the published view shows of the figures and the verdict: a sweep that finds
        // every process as it was touches none of them (no view is rebuilt).
        let shown = |p: &Process| {
            let k = p.kernel.map(|k| {
                let f = k.figures;
                let busy = f.calls.others() > 0;
                (f.virtual_bytes, f.peak_virtual_bytes, f.mappings, busy)
            });
            (k, p.verdict)
        };
        let before = shown(p);
        let resident = p.kernel.and_then(|k| k.resident);
        p.kernel = Some(Kernel {
            figures: *f,
            at_ns,
            resident,
        });
        let shared = self.spaces.get(&p.space)?;
        if shared.unfilled || shared.users > 1 {
            return None;
        }
        let (bytes, mappings) = (shared.space.kernel_bytes(), shared.space.mappings());
        let verdict = p.check.judge(f, bytes, mappings);
        // A mismatch counts once, when it is found, however many checks see it before the
        // read that repairs it.
        if !matches!(verdict, Verdict::Mismatch(_)) || p.inexact_since.is_none() {
            self.counters.checks.count(verdict);
        }
        match verdict {
            Verdict::Exact => {
                if let Some(since) = p.inexact_since.take() {
                    let took = std::time::Duration::from_nanos(at_ns.saturating_sub(since));
                    self.counters.repairs.record(took);
                }
            }
            Verdict::Mismatch(_) => {
                p.inexact_since.get_or_insert(at_ns);
            }
            Verdict::Unchecked => {}
        }
        if verdict != Verdict::Unchecked {
            p.verdict = Some(verdict);
        }
        if shown(p) != before {
            self.touched.insert(tgid);
        }
        Some(verdict)
    }

    /// Takes in what a sweep found of one process: its figures and resident memory, a
    /// check, and whether its ledger must be read (unknown, a new process under its pid, or
    /// wrong).
    pub fn swept(&mut self, s: &Swept) -> Applied {
        let Some(p) = self.procs.get_mut(&s.tgid) else {
            return Applied::need(Some(Need {
                tgid: s.tgid,
                reason: Reason::Unknown,
            }));
        };
        if p.start_ns.is_some_and(|t| t != s.start_ns) {
            // Another process under the pid: the exit of the one before was missed.
            self.counters.pid_reuse += 1;
            self.forget(s.tgid);
            return Applied::need(Some(Need {
                tgid: s.tgid,
                reason: Reason::Unknown,
            }));
        }
        p.start_ns = Some(s.start_ns);
        if p.oldest_call_ns != s.oldest_call_ns {
            p.oldest_call_ns = s.oldest_call_ns;
            self.touched.insert(s.tgid);
        }
        let verdict = self.check(s.tgid, &s.figures, s.ts_ns);
        if let Some(p) = self.procs.get_mut(&s.tgid)
            && let Some(k) = &mut p.kernel
            && k.at_ns == s.ts_ns
            && k.resident != Some(s.resident)
        {
            k.resident = Some(s.resident);
            self.touched.insert(s.tgid);
        }
        Applied {
            need: mismatch_need(s.tgid, verdict),
            verdict,
            exited: None,
        }
    }
}

impl Ledger {
    /// After sweep `s` (whose figures could judge nothing, calls being in flight): the read
    /// a call that has been in the kernel for `long_ns` or more asks for, when the kernel's
    /// figures are ahead of the ledger. (The call's exit record, applied on the read, changes
    /// nothing more: a record carries where the call left the mapping, not a difference.)
    pub fn long_call_need(&self, s: &Swept, long_ns: u64) -> Option<Need> {
        let began = s.oldest_call_ns?;
        if s.ts_ns.saturating_sub(began) < long_ns {
            return None;
        }
        let p = self.procs.get(&s.tgid)?;
        let shared = self.spaces.get(&p.space)?;
        if shared.unfilled {
            return None;
        }
        let space = &shared.space;
        let behind = space.kernel_bytes() != s.figures.virtual_bytes
            || space.mappings() as u32 != s.figures.mappings;
        behind.then_some(Need {
            tgid: s.tgid,
            reason: Reason::LongCall,
        })
    }
}

/// The read a check's mismatch asks for.
pub(super) fn mismatch_need(tgid: u32, verdict: Option<Verdict>) -> Option<Need> {
    match verdict {
        Some(Verdict::Mismatch(m)) => Some(Need {
            tgid,
            reason: Reason::Mismatch(m),
        }),
        _ => None,
    }
}
