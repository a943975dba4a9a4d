use super::*;

fn runs(s: &SiteSpans, len: u64) -> Vec<(SiteId, u64)> {
    let mut v = Vec::new();
    s.each(len, |site, b| v.push((site, b)));
    v
}

#[test]
fn a_split_divides_the_runs_and_a_merge_joins_them() {
    let mut a = SiteSpans::of(7);
    a.append(100, &SiteSpans::of(9));
    assert_eq!(runs(&a, 300), vec![(7, 100), (9, 200)]);
    let right = a.split_off(150);
    assert_eq!(runs(&a, 150), vec![(7, 100), (9, 50)]);
    assert_eq!(runs(&right, 150), vec![(9, 150)]);
    let mut left = a.clone();
    let tail = left.split_off(50);
    assert_eq!(runs(&left, 50), vec![(7, 50)]);
    assert_eq!(runs(&tail, 100), vec![(7, 50), (9, 50)]);
    left.append(50, &tail);
    assert_eq!(left, a, "split and joined again is what it was");
}

#[test]
fn unknown_bytes_stay_unknown_and_same_sites_join() {
    let mut a = SiteSpans::default();
    a.append(10, &SiteSpans::of(3));
    assert_eq!(runs(&a, 30), vec![(NO_SITE, 10), (3, 20)]);
    let mut b = SiteSpans::of(3);
    b.grow(20, 3);
    assert_eq!(runs(&b, 40), vec![(3, 40)]);
    let mut c = SiteSpans::of(4);
    c.append(10, &SiteSpans::default());
    let right = c.split_off(10);
    assert!(right.is_unknown());
    assert_eq!(c.at(5), 4);
}
