use super::*;

fn p(s: &str) -> Perms {
    Perms::parse(s).unwrap()
}

#[test]
fn finds_each_kind_of_difference() {
    let ledger = [(0, 10, p("rw-p")), (20, 30, p("r--p")), (40, 50, p("rw-p"))];
    let kernel = [(0, 12, p("rw-p")), (20, 30, p("r-xp")), (60, 70, p("rw-p"))];
    assert_eq!(
        differences(&ledger, &kernel),
        vec![
            (10, 12, Difference::Missing),
            (20, 30, Difference::Perms),
            (40, 50, Difference::Extra),
            (60, 70, Difference::Missing),
        ]
    );
    assert!(differences(&ledger, &ledger).is_empty());
    assert!(differences(&[], &[]).is_empty());
}
