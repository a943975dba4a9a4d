use super::*;

#[test]
fn slots_are_a_permutation_that_scatters_neighbours() {
    let mut seen = [false; THREAD_SLOTS as usize];
    for id in 0..THREAD_SLOTS {
        let s = slot_of(id, THREAD_SLOTS) as usize;
        assert!(!seen[s], "two ids in slot {s}");
        seen[s] = true;
        // Neighbours' slots are on other cache lines (four 16-byte slots to a line).
        let next = slot_of(id + 1, THREAD_SLOTS);
        assert!(next.abs_diff(s as u32) >= 4, "{id} and the next");
    }
    assert_eq!(slot_of(0, 1), 0);
}
