use super::*;

#[test]
fn syscall_totals_count_by_result() {
    let mut t = SyscallTotals::default();
    t.count(Syscall::Brk, false);
    t.count(Syscall::Mmap, true);
    let all: Vec<_> = t.iter().collect();
    assert_eq!(all.len(), Syscall::ALL.len());
    assert_eq!(t.of(Syscall::Brk), Outcomes { ok: 1, error: 0 });
    assert_eq!(t.of(Syscall::Mmap), Outcomes { ok: 0, error: 1 });
}
