//! Cardinality control: which processes and groups get series of their own.

use crate::view::ProcessView;
use std::collections::{HashMap, HashSet};

/// The pids with series of their own: the `k` largest by virtual size and the `k` that grew
/// most over the window.
pub fn top_processes(procs: &[&ProcessView], k: usize) -> HashSet<u32> {
    let mut by_size: Vec<&&ProcessView> = procs.iter().collect();
    by_size.sort_by_key(|p| std::cmp::Reverse(p.virtual_bytes));
    let mut by_growth: Vec<&&ProcessView> = procs.iter().filter(|p| p.growth_bytes > 0).collect();
    by_growth.sort_by_key(|p| std::cmp::Reverse(p.growth_bytes));
    by_size
        .iter()
        .take(k)
        .chain(by_growth.iter().take(k))
        .map(|p| p.pid)
        .collect()
}

/// The `max` largest groups by virtual size under `key` (ties by name).
pub fn top_groups<'a>(
    procs: &[&'a ProcessView],
    max: usize,
    key: impl Fn(&'a ProcessView) -> &'a str,
) -> HashSet<&'a str> {
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    for p in procs {
        *sizes.entry(key(p)).or_default() += p.virtual_bytes;
    }
    let mut groups: Vec<(&str, u64)> = sizes.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    groups.iter().take(max).map(|g| g.0).collect()
}
