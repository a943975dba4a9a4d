use super::*;

#[test]
fn the_longest_gap_is_the_smallest_bucket_that_holds_every_drain() {
    let before = [(5, 0), (10, 2), (20, 3), (50, 3)];
    let after = [(5, 0), (10, 90), (20, 99), (50, 100)];
    assert_eq!(longest(&before, &after, 97), 50);
    assert_eq!(longest(&before, &after, 96), 20);
    assert_eq!(longest(&before, &after, 98), u64::MAX);
}
