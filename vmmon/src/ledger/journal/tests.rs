use super::*;

fn scalars() -> Scalars {
    Scalars {
        displaced: None,
        totals: Totals::default(),
        sums: Sums::default(),
        brk_start: None,
        brk: None,
        future: Attrs::default(),
        anon_files: 0,
    }
}

#[test]
fn a_start_is_noted_once_past_the_scan_too() {
    let mut j = Journal::new(scalars());
    for round in 0..2 {
        for start in 0..100u64 {
            j.note(start * 4096, || None);
        }
        assert_eq!(j.touched.len(), 100, "round {round}");
        assert!(j.has(99 * 4096) && j.has(0) && !j.has(100 * 4096));
    }
    j.restart(scalars());
    assert!(!j.has(0), "a restart forgets");
    j.note(0, || None);
    assert!(j.has(0));
}
