//! A syscall's record taken into the ledger: applied to its process's address space (and
//! to children forked meanwhile that it is late for), counted, logged for a replay and
//! checked.

use super::apply::{Call, Outcome, apply_call};
use super::book::{FORK_LATE_NS, Fork, Ledger};
use super::check::{Verdict, settle_layout};
use super::judge::mismatch_need;
use super::process::{Applied, Need, Reason};
use super::refused::refused_call;
use super::region::{Origin, Perms, Region, RegionKind};
use super::sites::{NO_SITE, SiteSpans};
use crate::event::{Event, Kind};

impl Ledger {
    /// Applies the record of a syscall by `e.tgid`.
    pub(super) fn syscall(&mut self, e: &Event, kind: &Kind) -> Applied {
        let mut need = None;
        if !self.procs.contains_key(&e.tgid) {
            self.counters.unknown_process += 1;
            // It began before anything seen of it: any snapshot of it will do, with the
            // events stamped after the snapshot replayed on top.
            self.track_unfilled(e.tgid, e.comm, (e.ts_ns, 0), false);
            need = Some(Need {
                tgid: e.tgid,
                reason: Reason::Unknown,
            });
        }
        let p = self.procs.get_mut(&e.tgid).expect("tracked above");
        p.comm = e.comm;
        p.calls.count(kind);
        let space = p.space;
        let shared = self
            .spaces
            .get_mut(&space)
            .expect("a process's space exists");
        let bytes_before = shared.space.kernel_bytes();
        let brk_before = shared.space.brk;
        // What no event shows (written pages, merges refused) may decide the layout: the
        // call can be undone, to try the other assumptions when the kernel's count disagrees.
        let judged = e.figures.is_some() && !shared.unfilled && shared.users == 1;
        if judged {
            shared.space.begin();
        }
        let call = Call {
            tid: e.tid,
            ts_ns: e.ts_ns,
            site: e.site.as_ref().map_or(NO_SITE, |s| s.id()),
        };
        let outcome = apply_call(&mut shared.space, kind, call);
        if let (true, Outcome::Applied, Some(f)) = (judged, outcome, &e.figures)
            && settle_layout(&mut shared.space, (kind, call), f, &p.check)
        {
            self.counters.checks.layouts_settled += 1;
        }
        shared.space.keep();
        // brk reports no errno: a break that could not grow stays below the one asked for.
        if let Kind::Brk { addr, ret } = *kind
            && addr != 0
            && (ret as u64) < addr
        {
            p.calls.failed += 1;
            p.calls.enomem += 1;
        }
        if let Some(refused) = refused_call(e, brk_before, call.site) {
            p.refused.get_or_insert_default().note(refused);
        }
        match outcome {
            Outcome::Applied => self.counters.applied += 1,
            Outcome::Failed => {
                p.calls.failed += 1;
                if kind.errno() == Some(libc::ENOMEM) {
                    p.calls.enomem += 1;
                }
                self.counters.failed_calls += 1;
            }
            Outcome::Unknown => self.counters.unknown_effect += 1,
            Outcome::Read => {
                // A shared memory segment: its size is what the kernel's figures grew by,
                // when nothing else could have changed them meanwhile.
                let attached = match (kind, &e.figures) {
                    (Kind::Shmat { flags, ret, .. }, Some(f)) if !shared.unfilled => {
                        let mut probe = p.check;
                        let quiet =
                            probe.judge(f, f.virtual_bytes, f.mappings as usize) == Verdict::Exact;
                        let size = f.virtual_bytes.saturating_sub(bytes_before);
                        (quiet && size > 0).then(|| shm_region(*ret as u64, size, *flags))
                    }
                    _ => None,
                };
                if let Some(mut r) = attached {
                    r.sites = SiteSpans::of(call.site);
                    shared.space.map(r);
                    self.counters.applied += 1;
                }
                // The figures give the segment's size only if the ledger held every byte
                // right before the call, which they cannot tell (an earlier difference of the
                // same size elsewhere goes unseen, and the size comes out wrong by it): a read
                // of /proc, as shmat is rare, settles it.
                need.get_or_insert(Need {
                    tgid: e.tgid,
                    reason: Reason::Effect,
                });
            }
            Outcome::Ignored => {}
        }
        if let Some(log) = &mut shared.log {
            log.push(call, kind);
        }
        shared
            .forks
            .retain(|f| e.ts_ns.saturating_sub(f.ts_ns) < FORK_LATE_NS);
        let late_for: Vec<Fork> = shared
            .forks
            .iter()
            .filter(|f| e.ts_ns < f.ts_ns)
            .copied()
            .collect();
        self.touch_space(space, e.tgid);
        for child in late_for {
            if let Some(c) = self.spaces.get_mut(&child.space) {
                apply_call(&mut c.space, kind, call);
                if let Some(log) = &mut c.log {
                    log.push(call, kind);
                }
                self.touched.insert(child.pid);
            }
        }
        let Some(f) = e.figures else {
            return Applied::need(need);
        };
        let verdict = self.check(e.tgid, &f, e.ts_ns);
        if let Some(p) = self.procs.get_mut(&e.tgid) {
            p.check.applied(&f);
        }
        Applied {
            need: need.or(mismatch_need(e.tgid, verdict)),
            verdict,
            exited: None,
        }
    }
}

/// A System V shared memory attach of `size` bytes at `at`, with `shmat`'s `flags`.
fn shm_region(at: u64, size: u64, flags: u32) -> Region {
    use vmmon_common::linux::{PROT_EXEC, PROT_READ, PROT_WRITE, SHM_EXEC, SHM_RDONLY};
    let mut prot = PROT_READ;
    if flags & SHM_RDONLY == 0 {
        prot |= PROT_WRITE;
    }
    if flags & SHM_EXEC != 0 {
        prot |= PROT_EXEC;
    }
    Region::new(
        at,
        at + size,
        Perms::from_prot(prot, true),
        RegionKind::Shm,
        Origin::Mmap,
    )
}
