use super::*;

#[test]
fn parses_summary_numbers() {
    let s = "vmmon trace: detached; 600123 events received, 600123 shown, 7 dropped in the kernel (ring";
    assert_eq!(number_before(s, " events received"), Some(600123));
    assert_eq!(number_before(s, " dropped in the kernel"), Some(7));
    assert_eq!(number_before(s, " nothing"), None);
}

#[test]
fn medians() {
    assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
    assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
}
