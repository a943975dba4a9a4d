//! The tally's counters never go down: through exits, moves into and out of the top K, groups
//! beyond `max_groups`, pid reuse, and retention.

use super::*;
use crate::fixtures::{exit_of, test_view};

const OPTS: TallyOptions = TallyOptions {
    top_k: 1,
    max_groups: 2,
    retention_s: 10.0,
};

fn proc(pid: u32, comm: &str, virt: u64, mmaps: u64) -> ProcessView {
    let mut v = test_view(pid, comm, virt, mmaps);
    v.mapped_bytes = mmaps * 4096;
    // No mapping count: the top K here is by size alone.
    v.mapping_count = 0;
    v.unit = Some("app.service".into());
    v
}

fn comm_mmaps(t: &PublishedTally, comm: &str) -> Option<u64> {
    t.comm
        .named
        .iter()
        .find(|(k, _)| k == comm)
        .map(|(_, g)| g.counts.calls.mmap)
}

#[test]
fn a_group_keeps_what_its_exited_processes_counted() {
    let mut t = Tally::new(OPTS);
    let (a, b) = (proc(1, "w", 100, 10), proc(2, "w", 50, 5));
    t.update(1.0, [&a, &b], &[]);
    assert_eq!(comm_mmaps(&t.published(), "w"), Some(15));
    // b made 3 more calls and exited; a made 2 more.
    let a2 = proc(1, "w", 100, 12);
    t.update(2.0, [&a2], &[exit_of(&b, 8, 1 << 20)]);
    let p = t.published();
    assert_eq!(comm_mmaps(&p, "w"), Some(20));
    let g = &p.comm.named.iter().find(|(k, _)| k == "w").unwrap().1;
    assert_eq!(g.exits, 1);
    assert_eq!(g.exit_peak_virtual.count, 1);
    assert_eq!(
        g.exit_peak_virtual.buckets[0], 1,
        "1 MiB is in the first bucket"
    );
    assert_eq!(g.exit_peak_resident.sum, 1 << 19);
    // The unit group too, and `other` (b was not in the top 1) has what b counted.
    let unit = p
        .unit
        .named
        .iter()
        .find(|(k, _)| k == "app.service")
        .unwrap();
    assert_eq!(unit.1.counts.calls.mmap, 20);
    assert_eq!(p.other.calls.mmap, 8);
}

#[test]
fn a_process_born_and_gone_between_two_updates_is_counted() {
    let mut t = Tally::new(OPTS);
    let a = proc(1, "w", 100, 1);
    t.update(1.0, [&a], &[]);
    let short = proc(9, "w", 10, 0);
    t.update(2.0, [&a], &[exit_of(&short, 40, 1 << 20)]);
    assert_eq!(comm_mmaps(&t.published(), "w"), Some(41));
}

#[test]
fn other_never_goes_down_when_a_process_moves_into_the_top_k() {
    let mut t = Tally::new(OPTS);
    let (big, small) = (proc(1, "a", 1000, 10), proc(2, "b", 10, 7));
    t.update(1.0, [&big, &small], &[]);
    let first = t.published();
    assert!(first.top.contains(&1) && !first.top.contains(&2));
    assert_eq!(first.other.calls.mmap, 7);
    // small grows past big: it gets its own series, and other keeps what it added.
    let (big2, small2) = (proc(1, "a", 1000, 11), proc(2, "b", 5000, 9));
    t.update(2.0, [&big2, &small2], &[]);
    let second = t.published();
    assert!(second.top.contains(&2));
    assert!(second.other.calls.mmap >= first.other.calls.mmap);
    assert_eq!(
        second.other.calls.mmap,
        7 + 1,
        "big's new call, now outside"
    );
}

#[test]
fn groups_beyond_max_add_to_other_and_every_count_only_grows() {
    let mut t = Tally::new(OPTS);
    let views = [
        proc(1, "x", 300, 1),
        proc(2, "y", 200, 2),
        proc(3, "z", 100, 4),
    ];
    t.update(1.0, views.iter(), &[]);
    let p = t.published();
    let names: Vec<&str> = p.comm.named.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
    assert_eq!(p.comm.other.counts.calls.mmap, 4);
    assert_eq!(p.comm.total().counts.calls.mmap, 7);
    // z becomes the largest and is named: its series shows everything it counted; y moves
    // to other with what it adds from now on.
    let views = [
        proc(1, "x", 300, 1),
        proc(2, "y", 200, 3),
        proc(3, "z", 900, 5),
    ];
    t.update(2.0, views.iter(), &[]);
    let q = t.published();
    assert_eq!(comm_mmaps(&q, "z"), Some(5));
    assert_eq!(comm_mmaps(&q, "y"), None);
    assert_eq!(q.comm.other.counts.calls.mmap, 4 + 1);
}

#[test]
fn a_gone_group_keeps_its_series_for_the_retention_then_goes() {
    let mut t = Tally::new(OPTS);
    let a = proc(1, "gone", 100, 3);
    t.update(1.0, [&a], &[]);
    t.update(2.0, [], &[exit_of(&a, 3, 1 << 20)]);
    assert_eq!(comm_mmaps(&t.published(), "gone"), Some(3));
    t.update(11.0, [], &[]);
    assert_eq!(comm_mmaps(&t.published(), "gone"), Some(3), "within 10 s");
    t.update(12.5, [], &[]);
    assert_eq!(comm_mmaps(&t.published(), "gone"), None, "after 10 s");
}

#[test]
fn another_process_under_a_pid_counts_from_zero() {
    let mut t = Tally::new(OPTS);
    t.update(1.0, [&proc(1, "w", 100, 50)], &[]);
    // The exit was missed; a new process under pid 1 has made 2 calls.
    t.update(2.0, [&proc(1, "w", 100, 2)], &[]);
    assert_eq!(comm_mmaps(&t.published(), "w"), Some(52));
}

#[test]
fn the_top_k_has_the_largest_the_fastest_growing_and_the_most_mapped() {
    let mut big = proc(1, "big", 1 << 30, 0);
    big.mapping_count = 10;
    let mut growing = proc(2, "grow", 1 << 20, 0);
    growing.growth_bytes = 1 << 20;
    let mut mapped = proc(3, "maps", 1 << 20, 0);
    mapped.mapping_count = 60_000;
    let quiet = proc(4, "quiet", 1 << 21, 0);
    let top = top_processes(&[&big, &growing, &mapped, &quiet], 1);
    assert_eq!(top, HashSet::from([1, 2, 3]));
}
