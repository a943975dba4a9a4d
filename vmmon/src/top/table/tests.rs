use super::*;
use crate::fixtures::{sample, view};

fn root(_: u32) -> String {
    "root".into()
}

#[test]
fn rates_come_from_the_change_between_samples() {
    let mut t = Table::new();
    t.update(sample(10.0, 100, vec![view(1, "a", 4096, 10)]), &mut root);
    assert_eq!(t.row(1).unwrap().rates.mmap, 0.0, "one sample: no rate yet");
    t.update(sample(12.0, 300, vec![view(1, "a", 8192, 30)]), &mut root);
    assert_eq!(t.row(1).unwrap().rates.mmap, 10.0);
    assert_eq!(t.header().events_per_s, 100.0);
    assert_eq!(t.history(1), vec![4096, 8192]);
    assert_eq!(t.row(1).unwrap().user, "root");
    // A reused pid whose count starts again: no negative rate.
    t.update(sample(13.0, 10, vec![view(1, "b", 4096, 2)]), &mut root);
    assert_eq!(t.row(1).unwrap().rates.mmap, 0.0);
    assert_eq!(t.header().events_per_s, 0.0, "a restarted agent");
}

#[test]
fn exited_processes_stay_dimmed_for_a_few_refreshes() {
    let mut t = Table::new();
    t.update(
        sample(1.0, 0, vec![view(1, "a", 1, 0), view(2, "b", 1, 0)]),
        &mut root,
    );
    for i in 1..=EXITED_REFRESHES {
        t.update(
            sample(1.0 + f64::from(i), 0, vec![view(1, "a", 1, 0)]),
            &mut root,
        );
        assert_eq!(t.row(2).unwrap().exited, Some(i));
    }
    t.update(sample(9.0, 0, vec![view(1, "a", 1, 0)]), &mut root);
    assert!(t.row(2).is_none());
    assert!(t.history(2).is_empty());
    assert_eq!(t.header().processes, 1);
}
