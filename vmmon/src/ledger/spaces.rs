//! Every address space the ledger keeps, by [`SpaceId`]: one per process, shared by its
//! threads and by vfork or `CLONE_VM` children, with what the ledger keeps beside it (the
//! calls logged while a `/proc` read is awaited, the children forked from it lately).

use super::apply::{Call, Outcome, apply_call};
use super::check::{CheckState, Verdict, settle_layout};
use super::maps_read::{MapsRead, Reconciled};
use super::region::{Origin, Perms, Region, RegionKind};
use super::replay_log::ReplayLog;
use super::sites::{SiteId, SiteSpans};
use super::space::AddressSpace;
use crate::event::{Figures, Kind};
use rustc_hash::FxHashMap;

/// Which address space a process uses: an id the ledger gives out, never reused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpaceId(u64);

/// How long a fork keeps passing its parent's late events on to the child.
const FORK_LATE_NS: u64 = 2_000_000_000;

/// The most recent forks an address space remembers.
const FORKS_KEPT: usize = 64;

/// A change stamped this long after a read ended may still have happened during it (the
/// thread may have been preempted before its exit tracepoint).
const TORN_MARGIN_NS: u64 = 5_000_000;

/// A child forked from an address space (see [`TrackedSpace::forks`]).
#[derive(Clone, Copy, Debug)]
pub(super) struct Fork {
    pub(super) space: SpaceId,
    pub(super) pid: u32,
    pub(super) ts_ns: u64,
}

/// An address space and what the ledger keeps about it.
#[derive(Clone, Debug)]
pub(super) struct TrackedSpace {
    pub(super) space: AddressSpace,
    /// The processes using it.
    pub(super) users: u32,
    /// While a snapshot is awaited: the events applied since it was asked for, to replay on
    /// top of it.
    pub(super) log: Option<ReplayLog>,
    /// Its contents so far are a placeholder until the first snapshot (after exec, or for a
    /// process first seen mid-life): filling it is not drift.
    pub(super) unfilled: bool,
    /// When this address space began (its exec or fork): a snapshot taken before then shows
    /// another address space (the one before an exec) and is refused.
    created_ns: u64,
    /// Children forked from it lately. An event of this space stamped before a fork but
    /// arriving after it (another thread's, late) happened before the copy, so it belongs
    /// to the child too.
    forks: Vec<Fork>,
}

impl TrackedSpace {
    /// Whether its ledger may be judged by the kernel's figures: known in full, and its own
    /// process's alone.
    pub(super) fn judged(&self) -> bool {
        !self.unfilled && self.users == 1
    }

    /// Applies `kind`, made by `call`. When figures `f` can judge it (known in full and its
    /// own), what no event shows may decide the layout: a layout the likely assumption left
    /// that `f` disagrees with is settled by trying the others (see [`settle_layout`]), and
    /// the second value says whether one settled it.
    pub(super) fn apply(
        &mut self,
        (kind, call): (&Kind, Call),
        f: Option<&Figures>,
        check: &CheckState,
    ) -> (Outcome, bool) {
        let judged = f.filter(|_| self.judged());
        if judged.is_some() {
            self.space.begin();
        }
        let outcome = apply_call(&mut self.space, kind, call);
        let settled = match (judged, outcome) {
            (Some(f), Outcome::Applied) => settle_layout(&mut self.space, (kind, call), f, check),
            _ => false,
        };
        self.space.keep();
        (outcome, settled)
    }

    /// After a `shmat` (`kind`, from `site`), whose segment's size is not in the call: maps
    /// the segment with the size the kernel's figures `f` grew by from `bytes_before`, when
    /// the check (`check`) says nothing else could have changed them meanwhile. True when it
    /// did.
    pub(super) fn attach_shm(
        &mut self,
        (kind, site): (&Kind, SiteId),
        f: Option<&Figures>,
        bytes_before: u64,
        check: &CheckState,
    ) -> bool {
        let (Kind::Shmat { flags, ret, .. }, Some(f)) = (kind, f) else {
            return false;
        };
        if self.unfilled {
            return false;
        }
        let mut probe = *check;
        let quiet = probe.judge(f, f.virtual_bytes, f.mappings as usize) == Verdict::Exact;
        let size = f.virtual_bytes.saturating_sub(bytes_before);
        if !quiet || size == 0 {
            return false;
        }
        let mut r = shm_region(*ret as u64, size, *flags);
        r.sites = SiteSpans::of(site);
        self.space.map(r);
        true
    }

    /// Remembers a child forked from it.
    pub(super) fn note_fork(&mut self, fork: Fork) {
        if self.forks.len() >= FORKS_KEPT {
            self.forks.remove(0);
        }
        self.forks.push(fork);
    }

    /// Logs a call for the awaited snapshot, if one is.
    pub(super) fn log_call(&mut self, call: Call, kind: &Kind) {
        if let Some(log) = &mut self.log {
            log.push(call, kind);
        }
    }

    /// The children an event stamped `ts_ns` is late for (forked after it), forgetting the
    /// forks too old for any late event.
    pub(super) fn late_forks(&mut self, ts_ns: u64) -> Vec<Fork> {
        self.forks
            .retain(|f| ts_ns.saturating_sub(f.ts_ns) < FORK_LATE_NS);
        self.forks
            .iter()
            .filter(|f| ts_ns < f.ts_ns)
            .copied()
            .collect()
    }

    /// Why `snap` cannot be taken in, if it cannot: taken before this address space began
    /// ([`Reconciled::Stale`]), or while the process changed its mappings (
    /// [`Reconciled::Torn`], unless `accept_torn`).
    pub(super) fn refuses(&self, snap: &MapsRead, accept_torn: bool) -> Option<Reconciled> {
        if snap.taken_ns < self.created_ns {
            return Some(Reconciled::Stale);
        }
        let torn = self.log.as_ref().is_some_and(|log| {
            !log.covers(snap.taken_ns)
                || (snap.done_ns != 0 && log.tears(snap.taken_ns, snap.done_ns + TORN_MARGIN_NS))
        });
        (torn && !accept_torn).then_some(Reconciled::Torn)
    }

    /// The address space `snap` shows, with the calls logged since it was taken replayed on
    /// top and the call sites of what is still mapped where it was (the read does not say).
    /// Ends the log.
    pub(super) fn rebuild(&mut self, snap: MapsRead) -> AddressSpace {
        let mut rebuilt = AddressSpace::from_regions(snap.regions);
        let heap_end = rebuilt
            .regions()
            .find(|r| r.kind == RegionKind::Heap)
            .map(|r| r.end);
        if snap.start_brk != 0 {
            rebuilt.brk_start = Some(snap.start_brk);
            rebuilt.brk = Some(heap_end.unwrap_or(snap.start_brk));
        }
        for (call, ev) in self.log.take().unwrap_or_default().since(snap.taken_ns) {
            apply_call(&mut rebuilt, &ev, call);
        }
        // After the replay, both describe the same moment.
        rebuilt.inherit_sites(&self.space);
        rebuilt
    }

    /// Takes in `rebuilt` (from [`TrackedSpace::rebuild`]): the snapshot's regions are the
    /// kernel's mappings as they are, its layout is now the ledger's, and it is filled.
    pub(super) fn take_in(&mut self, rebuilt: &AddressSpace) {
        self.space.replace_regions(rebuilt);
        self.space.brk_start = rebuilt.brk_start;
        self.space.brk = rebuilt.brk;
        self.unfilled = false;
    }
}

/// Every address space the ledger keeps.
#[derive(Clone, Debug, Default)]
pub(super) struct Spaces {
    by_id: FxHashMap<SpaceId, TrackedSpace>,
    last_id: u64,
}

impl Spaces {
    /// Keeps `space`, used by one process, begun at `created_ns`; `unfilled` when a
    /// snapshot must fill it (its calls are logged until then).
    pub(super) fn insert(
        &mut self,
        space: AddressSpace,
        unfilled: bool,
        created_ns: u64,
    ) -> SpaceId {
        self.last_id += 1;
        let id = SpaceId(self.last_id);
        let tracked = TrackedSpace {
            space,
            users: 1,
            log: unfilled.then(ReplayLog::default),
            unfilled,
            created_ns,
            forks: Vec::new(),
        };
        self.by_id.insert(id, tracked);
        id
    }

    pub(super) fn get(&self, id: SpaceId) -> Option<&TrackedSpace> {
        self.by_id.get(&id)
    }

    pub(super) fn get_mut(&mut self, id: SpaceId) -> Option<&mut TrackedSpace> {
        self.by_id.get_mut(&id)
    }

    /// One more process uses `id` (a vfork or `CLONE_VM` child).
    pub(super) fn share(&mut self, id: SpaceId) {
        if let Some(s) = self.by_id.get_mut(&id) {
            s.users += 1;
        }
    }

    /// One process fewer uses `id`: the last one gone, it is forgotten.
    pub(super) fn release(&mut self, id: SpaceId) {
        if let Some(s) = self.by_id.get_mut(&id) {
            s.users -= 1;
            if s.users == 0 {
                self.by_id.remove(&id);
            }
        }
    }

    /// Whether more than one process uses `id`.
    pub(super) fn is_shared(&self, id: SpaceId) -> bool {
        self.by_id.get(&id).is_some_and(|s| s.users > 1)
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Gives back the memory the map kept after many address spaces went.
    pub(super) fn shrink(&mut self) {
        self.by_id.shrink_to_fit();
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
