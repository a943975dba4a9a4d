use super::*;

#[test]
fn sums_the_samples_of_a_family_with_the_labels_asked_for() {
    let text = "# HELP x\n\
            vmmon_events_received_total 7\n\
            vmmon_events_received_total_other 9\n\
            vmmon_events_dropped_total{reason=\"ring_full\"} 3\n\
            vmmon_comm_syscalls_total{comm=\"a\",syscall=\"mmap\"} 5\n\
            vmmon_comm_syscalls_total{comm=\"a\",syscall=\"munmap\"} 6\n\
            vmmon_comm_syscalls_total{comm=\"b\",syscall=\"mmap\"} 1e3\n";
    assert_eq!(
        sum_samples(text, "vmmon_events_received_total", &[]),
        Some(7)
    );
    assert_eq!(
        sum_samples(text, "vmmon_events_dropped_total", &[]),
        Some(3)
    );
    assert_eq!(
        sum_samples(
            text,
            "vmmon_comm_syscalls_total",
            &["comm=\"a\"", "syscall=\"mmap\""]
        ),
        Some(5)
    );
    assert_eq!(
        sum_samples(text, "vmmon_comm_syscalls_total", &["syscall=\"mmap\""]),
        Some(1005)
    );
    assert_eq!(sum_samples(text, "vmmon_nothing", &[]), None);
}

#[test]
fn ratios_are_taken_within_rounds() {
    let t = |getpid, mmap| Tax { getpid, mmap };
    let of = [t(2.0, 3.0), t(4.0, 9.0), t(3.0, 3.0)];
    let to = [t(1.0, 1.0), t(2.0, 3.0), t(1.0, 1.0)];
    assert_eq!(ratio(&of, &to, |x| x.getpid), 2.0);
    assert_eq!(ratio(&of, &to, |x| x.mmap), 3.0);
    assert_eq!(range([3.0, 1.0, 2.0].into_iter()), "1–3");
}
