use super::*;

#[test]
fn growth_per_second_and_over_the_window() {
    let mut g = Growth::new(60);
    for t in 0..100u64 {
        g.record(t, [(1, 1000 + t * 10), (2, 5000)]);
    }
    assert_eq!(g.per_second(1), 10.0);
    assert_eq!(g.over_window(1), 600, "60 s at 10 B/s");
    assert_eq!(g.over_window(2), 0);
    g.record(100, [(2, 4000)]);
    assert_eq!(g.per_second(1), 0.0, "an exited process is forgotten");
    assert_eq!(g.per_second(2), -1000.0);
    assert_eq!(g.over_window(3), 0);
}
