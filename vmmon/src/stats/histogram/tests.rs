use super::*;

#[test]
fn durations_fall_in_cumulative_buckets() {
    let mut g = Histogram::default();
    g.record(Duration::from_millis(8));
    g.record(Duration::from_millis(120));
    assert_eq!((g.at(5), g.at(10), g.at(100), g.at(200)), (0, 1, 1, 2));
    assert_eq!((g.count, g.longest_ms), (2, 120));
}
