use super::*;

#[test]
fn all_lists_every_syscall_in_declaration_order() {
    // The machine's totals are an array indexed by `Syscall as usize`.
    for (i, s) in Syscall::ALL.into_iter().enumerate() {
        assert_eq!(s as usize, i, "{s:?}");
    }
}

#[test]
fn every_syscall_kind_has_a_syscall_and_names_are_unique() {
    let mut names: Vec<&str> = event_names().collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), n);
    let kinds = EventKind::ALL
        .iter()
        .filter_map(|&k| Syscall::of(k))
        .count();
    assert_eq!(kinds, Syscall::ALL.len());
}
