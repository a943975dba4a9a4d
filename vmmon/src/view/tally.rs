//! Counters that never go down, for what Prometheus sums: per comm, per unit, and the
//! processes outside the top K (`pid="other"`). A sum over live processes falls whenever one
//! exits or moves into the top K, and `rate()` reads every fall as a reset; so the owner
//! keeps, once a second, each group's cumulative counts: what its processes counted while
//! alive and what the exited ones counted to the end. A process's counts stay in every group
//! they were added to (a process moving into the top K keeps what it added to `other`).
//! Groups whose processes all exited keep their series for a retention, then go; only
//! `max_groups` per kind are named at once, the rest add to `"other"`. Pure.

use super::exits::ExitView;
use super::process::ProcessView;
use crate::ledger::CallCounts;
use crate::stats::Cumulative;
use std::collections::{HashMap, HashSet};

/// Cumulative counts of a process or a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub calls: CallCounts,
    pub mapped_bytes: u64,
    pub unmapped_bytes: u64,
}

impl Counts {
    /// A live process's counts so far.
    pub fn of(v: &ProcessView) -> Self {
        Self {
            calls: v.calls,
            mapped_bytes: v.mapped_bytes,
            unmapped_bytes: v.unmapped_bytes,
        }
    }

    /// `f` of each count of `self` and the same count of `o`, field by field.
    fn zip(&self, o: &Counts, mut f: impl FnMut(u64, u64) -> u64) -> Counts {
        let (a, b) = (&self.calls, &o.calls);
        Counts {
            calls: CallCounts {
                mmap: f(a.mmap, b.mmap),
                munmap: f(a.munmap, b.munmap),
                mremap: f(a.mremap, b.mremap),
                mprotect: f(a.mprotect, b.mprotect),
                brk: f(a.brk, b.brk),
                other: f(a.other, b.other),
                failed: f(a.failed, b.failed),
                enomem: f(a.enomem, b.enomem),
            },
            mapped_bytes: f(self.mapped_bytes, o.mapped_bytes),
            unmapped_bytes: f(self.unmapped_bytes, o.unmapped_bytes),
        }
    }

    /// What `now` counted since `before` (nothing where a count is lower: another process
    /// under the pid, counted from zero).
    fn since(now: &Counts, before: &Counts) -> Counts {
        let mut restarted = false;
        let d = now.zip(before, |n, b| {
            restarted |= n < b;
            n.saturating_sub(b)
        });
        if restarted { *now } else { d }
    }

    fn add(&mut self, d: &Counts) {
        *self = self.zip(d, |a, b| a + b);
    }
}

/// Bounds of the exit-size histograms, in bytes: 1 MiB to 64 GiB by fours.
pub const EXIT_BYTES_BOUNDS: [u64; 9] = [
    1 << 20,
    4 << 20,
    16 << 20,
    64 << 20,
    256 << 20,
    1 << 30,
    4 << 30,
    16 << 30,
    64 << 30,
];

/// A histogram of sizes: cumulative counts at [`EXIT_BYTES_BOUNDS`], their sum and count.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SizeHistogram {
    pub buckets: [u64; EXIT_BYTES_BOUNDS.len()],
    pub count: u64,
    pub sum: u64,
}

impl SizeHistogram {
    pub fn record(&mut self, bytes: u64) {
        for (b, &le) in self.buckets.iter_mut().zip(&EXIT_BYTES_BOUNDS) {
            if bytes <= le {
                *b += 1;
            }
        }
        self.count += 1;
        self.sum += bytes;
    }

    /// Adds what `other` counted.
    fn add(&mut self, other: &SizeHistogram) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
    }
}

/// Bytes, at [`EXIT_BYTES_BOUNDS`].
impl Cumulative for SizeHistogram {
    fn buckets(&self) -> Vec<(f64, u64)> {
        EXIT_BYTES_BOUNDS
            .iter()
            .zip(self.buckets)
            .map(|(&le, n)| (le as f64, n))
            .collect()
    }

    fn sample_count(&self) -> u64 {
        self.count
    }

    fn sample_sum(&self) -> f64 {
        self.sum as f64
    }
}

/// Whether the OOM killer ended an exited process.
fn oom_killed(x: &ExitView) -> bool {
    x.cause.as_ref().is_some_and(|c| c.is_oom_kill())
}

/// One group's cumulative figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    pub counts: Counts,
    /// Processes of the group that exited (their last thread left).
    pub exits: u64,
    /// Of those, the ones the OOM killer killed.
    pub oom_kills: u64,
    /// Their peak virtual and resident sizes as they left.
    pub exit_peak_virtual: SizeHistogram,
    pub exit_peak_resident: SizeHistogram,
}

impl Group {
    fn add_exit(&mut self, x: &ExitView) {
        self.exits += 1;
        self.oom_kills += u64::from(oom_killed(x));
        if let Some(v) = x.peak_virtual_bytes {
            self.exit_peak_virtual.record(v);
        }
        if let Some(r) = x.peak_resident_bytes {
            self.exit_peak_resident.record(r);
        }
    }

    fn add(&mut self, other: &Group) {
        self.counts.add(&other.counts);
        self.exits += other.exits;
        self.oom_kills += other.oom_kills;
        self.exit_peak_virtual.add(&other.exit_peak_virtual);
        self.exit_peak_resident.add(&other.exit_peak_resident);
    }
}

#[derive(Clone, Debug, Default)]
struct Tracked {
    group: Group,
    /// When a process of it was last alive (seconds).
    alive_s: f64,
    /// Virtual bytes of its live processes at the last update.
    live_bytes: u64,
}

/// The groups of one kind (comm or unit).
#[derive(Clone, Debug, Default)]
struct Groups {
    all: HashMap<String, Tracked>,
    named: HashSet<String>,
    /// What the groups outside `named` added while they were outside.
    other: Group,
}

impl Groups {
    /// `key`'s group, made when new (without allocating the key when it exists).
    fn get(&mut self, key: &str) -> &mut Tracked {
        if !self.all.contains_key(key) {
            self.all.insert(key.to_string(), Tracked::default());
        }
        self.all.get_mut(key).expect("inserted above")
    }

    /// Adds `f` to `key`'s group, and to `other` when that group is not named.
    fn add(&mut self, key: &str, now_s: f64, f: impl Fn(&mut Group)) {
        let t = self.get(key);
        t.alive_s = now_s;
        f(&mut t.group);
        if !self.named.contains(key) {
            f(&mut self.other);
        }
    }

    /// Chooses the `max` groups named from now: those with live processes, largest first,
    /// then those whose processes left most recently; forgets the groups whose processes all
    /// left more than `retention_s` ago.
    fn choose(&mut self, max: usize, now_s: f64, retention_s: f64) {
        self.all
            .retain(|_, t| t.live_bytes > 0 || now_s - t.alive_s <= retention_s);
        let mut ranked: Vec<(&String, &Tracked)> = self.all.iter().collect();
        ranked.sort_by(|a, b| {
            b.1.live_bytes
                .cmp(&a.1.live_bytes)
                .then(b.1.alive_s.total_cmp(&a.1.alive_s))
                .then(a.0.cmp(b.0))
        });
        self.named = ranked.iter().take(max).map(|(k, _)| (*k).clone()).collect();
    }

    fn published(&self) -> PublishedGroups {
        let mut named: Vec<(String, Group)> = self
            .named
            .iter()
            .filter_map(|k| Some((k.clone(), self.all.get(k)?.group.clone())))
            .collect();
        named.sort_by(|a, b| a.0.cmp(&b.0));
        PublishedGroups {
            named,
            other: self.other.clone(),
        }
    }
}

/// How many series, and for how long.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TallyOptions {
    /// Processes with their own series, by size, by growth and by mappings.
    pub top_k: usize,
    /// Groups of each kind with their own series.
    pub max_groups: usize,
    /// How long a group whose processes all exited keeps its series.
    pub retention_s: f64,
}

/// The owner's running tally.
#[derive(Clone, Debug)]
pub struct Tally {
    opts: TallyOptions,
    /// Each live process's counts at the last update.
    seen: HashMap<u32, Counts>,
    top: HashSet<u32>,
    other: Counts,
    comm: Groups,
    unit: Groups,
}

/// The key of a process's unit group.
pub fn unit_key(unit: Option<&str>) -> &str {
    unit.unwrap_or("none")
}

impl Tally {
    pub fn new(opts: TallyOptions) -> Self {
        Self {
            opts,
            seen: HashMap::new(),
            top: HashSet::new(),
            other: Counts::default(),
            comm: Groups::default(),
            unit: Groups::default(),
        }
    }

    /// Takes in, at `now_s`, the live processes and those that exited since the last update.
    pub fn update<'a>(
        &mut self,
        now_s: f64,
        live: impl IntoIterator<Item = &'a ProcessView>,
        exited: &[ExitView],
    ) {
        let live: Vec<&ProcessView> = live.into_iter().collect();
        // Who is named from now on: chosen first, so that this second's counts go where the
        // series will show them.
        for groups in [&mut self.comm, &mut self.unit] {
            for t in groups.all.values_mut() {
                t.live_bytes = 0;
            }
        }
        for v in &live {
            for (groups, key) in [
                (&mut self.comm, v.comm.as_str()),
                (&mut self.unit, unit_key(v.unit.as_deref())),
            ] {
                let t = groups.get(key);
                t.alive_s = now_s;
                t.live_bytes += v.virtual_bytes.max(1);
            }
        }
        let (max, retention) = (self.opts.max_groups, self.opts.retention_s);
        self.comm.choose(max, now_s, retention);
        self.unit.choose(max, now_s, retention);
        let was_top = std::mem::replace(&mut self.top, top_processes(&live, self.opts.top_k));

        for x in exited {
            let before = self.seen.remove(&x.pid).unwrap_or_default();
            let d = Counts::since(&x.counts, &before);
            if !was_top.contains(&x.pid) {
                self.other.add(&d);
            }
            let unit = unit_key(x.unit.as_deref());
            self.comm.add(&x.comm, now_s, |g| {
                g.counts.add(&d);
                g.add_exit(x);
            });
            self.unit.add(unit, now_s, |g| {
                g.counts.add(&d);
                g.oom_kills += u64::from(oom_killed(x));
            });
        }
        let mut alive = HashSet::with_capacity(live.len());
        for v in &live {
            alive.insert(v.pid);
            let now = Counts::of(v);
            let before = self.seen.get(&v.pid).copied().unwrap_or_default();
            let d = Counts::since(&now, &before);
            if !self.top.contains(&v.pid) {
                self.other.add(&d);
            }
            if d != Counts::default() {
                self.comm.add(&v.comm, now_s, |g| g.counts.add(&d));
                self.unit
                    .add(unit_key(v.unit.as_deref()), now_s, |g| g.counts.add(&d));
            }
            self.seen.insert(v.pid, now);
        }
        // A process missing without an exit record (its exit lost, or being read again) keeps
        // its counts for when it comes back, but not for ever.
        if self.seen.len() > 2 * alive.len() + 1024 {
            self.seen.retain(|pid, _| alive.contains(pid));
        }
    }

    /// What the metrics show, frozen.
    pub fn published(&self) -> PublishedTally {
        PublishedTally {
            top: self.top.clone(),
            other: self.other,
            comm: self.comm.published(),
            unit: self.unit.published(),
        }
    }
}

/// The named groups of one kind with their counts, and what the rest added.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublishedGroups {
    pub named: Vec<(String, Group)>,
    pub other: Group,
}

impl PublishedGroups {
    /// Every named group by its name, then the rest as `"other"`.
    pub fn each(&self) -> impl Iterator<Item = (&str, &Group)> {
        self.named
            .iter()
            .map(|(k, g)| (k.as_str(), g))
            .chain(std::iter::once(("other", &self.other)))
    }

    /// Every group's figures together (the named and the rest).
    pub fn total(&self) -> Group {
        let mut t = self.other.clone();
        for (_, g) in &self.named {
            t.add(g);
        }
        t
    }
}

/// The tally as of the last update.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PublishedTally {
    /// The pids with series of their own.
    pub top: HashSet<u32>,
    /// What processes counted while outside the top K.
    pub other: Counts,
    pub comm: PublishedGroups,
    pub unit: PublishedGroups,
}

/// The pids with series of their own: the `k` largest by virtual size, the `k` that grew most
/// over the window, and the `k` with the most mappings (the ones nearest
/// `vm.max_map_count`).
pub fn top_processes(procs: &[&ProcessView], k: usize) -> HashSet<u32> {
    let mut out = HashSet::new();
    let mut pick = |key: &dyn Fn(&ProcessView) -> u64| {
        let mut ranked: Vec<&&ProcessView> = procs.iter().filter(|p| key(p) > 0).collect();
        ranked.sort_by_key(|p| (std::cmp::Reverse(key(p)), p.pid));
        out.extend(ranked.iter().take(k).map(|p| p.pid));
    };
    pick(&|p| p.virtual_bytes);
    pick(&|p| p.growth_bytes.max(0) as u64);
    pick(&|p| p.mapping_count as u64);
    out
}

#[cfg(test)]
mod tests;
