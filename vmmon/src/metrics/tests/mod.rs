//! The exposition as Prometheus reads it: series chosen, values summed, labels escaped; and
//! its families' names ([`names`]).

mod exposition;
mod names;

use super::{OwnUsage, render};
use crate::event::Syscall;
use crate::fixtures::test_view;
use crate::view::{ProcessEntry, ProcessView, Snapshot, Tally, TallyOptions};
use std::sync::Arc;

fn proc(pid: u32, comm: &str, virt: u64, growth: i64) -> ProcessView {
    let mut view = test_view(pid, comm, virt, 2);
    view.growth_bytes = growth;
    view.growth_bytes_per_second = growth / 60;
    view
}

fn snapshot(views: Vec<ProcessView>) -> Snapshot {
    snapshot_with(views, DEFAULTS)
}

/// The processes of `views`, tallied once as the owner does each second with `opts`.
fn snapshot_with(views: Vec<ProcessView>, opts: TallyOptions) -> Snapshot {
    let mut tally = Tally::new(opts);
    tally.update(1.0, views.iter(), &[]);
    let processes = views
        .into_iter()
        .map(|view| {
            let entry = ProcessEntry {
                view,
                regions: Default::default(),
                start_ns: None,
                since_ns: 0,
            };
            (entry.view.pid, Arc::new(entry))
        })
        .collect();
    Snapshot {
        processes,
        tally: Arc::new(tally.published()),
        ..Snapshot::default()
    }
}

const DEFAULTS: TallyOptions = TallyOptions {
    top_k: 20,
    max_groups: 50,
    retention_s: 600.0,
};

fn text(s: &Snapshot) -> String {
    render(s, &OwnUsage::default())
}

fn line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
    text.lines().find(|l| l.starts_with(start))
}

#[test]
fn top_k_by_size_and_by_growth_the_rest_in_other() {
    let input = snapshot_with(
        vec![
            proc(1, "big", 1000, 0),
            proc(2, "grower", 10, 500),
            proc(3, "small", 20, 0),
            proc(4, "small", 30, 0),
        ],
        TallyOptions {
            top_k: 1,
            ..DEFAULTS
        },
    );
    let text = text(&input);
    assert!(
        line(
            &text,
            "vmmon_process_virtual_bytes{comm=\"big\",pid=\"1\"} 1000"
        )
        .is_some(),
        "{text}"
    );
    assert!(
        line(
            &text,
            "vmmon_process_virtual_bytes{comm=\"grower\",pid=\"2\"} 10"
        )
        .is_some(),
        "{text}"
    );
    assert!(
        line(
            &text,
            "vmmon_process_virtual_bytes{comm=\"other\",pid=\"other\"} 50"
        )
        .is_some(),
        "{text}"
    );
    assert!(
        line(&text, "vmmon_process_virtual_bytes{comm=\"small\"").is_none(),
        "{text}"
    );
    assert!(
        line(&text, "vmmon_comm_virtual_bytes{comm=\"small\"} 50").is_some(),
        "{text}"
    );
    assert!(
        line(
            &text,
            "vmmon_process_growth_bytes{comm=\"grower\",pid=\"2\"} 500"
        )
        .is_some(),
        "{text}"
    );
    assert!(
        line(
            &text,
            "vmmon_process_syscalls_total{comm=\"big\",pid=\"1\",syscall=\"mmap\"} 2"
        )
        .is_some(),
        "{text}"
    );
    assert!(line(&text, "vmmon_processes 4").is_some(), "{text}");
    assert!(
        line(&text, "vmmon_unit_virtual_bytes{unit=\"small.service\"} 50").is_some(),
        "{text}"
    );
    // An exited process simply is not in the input: its series are gone.
    let fewer = snapshot(vec![proc(1, "big", 1000, 0)]);
    assert!(!self::text(&fewer).contains("pid=\"2\""));
}

#[test]
fn hostile_comms_give_valid_exposition_and_comm_groups_are_bounded() {
    let mut hostile = proc(1, "a\"b\\c\nd", 100, 0);
    // A cgroup path is the process's to choose too.
    hostile.unit = Some("evil\"}\n# TYPE x counter\\.scope".into());
    let input = snapshot_with(
        vec![hostile, proc(2, "x", 50, 0), proc(3, "y", 10, 0)],
        TallyOptions {
            top_k: 10,
            max_groups: 2,
            ..DEFAULTS
        },
    );
    let text = text(&input);
    assert!(text.contains(r#"comm="a\"b\\c\nd""#), "{text}");
    assert!(
        text.contains(r#"unit="evil\"}\n# TYPE x counter\\.scope""#),
        "{text}"
    );
    assert!(!text.contains("\n# TYPE x counter"), "{text}");
    assert!(
        line(&text, "vmmon_comm_virtual_bytes{comm=\"other\"} 10").is_some(),
        "{text}"
    );
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, rest) = l.split_once(['{', ' ']).expect("name");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{l}"
        );
        let value = rest.rsplit(' ').next().expect("value");
        assert!(value.parse::<f64>().is_ok(), "bad value in {l}");
    }
}

#[test]
fn machine_totals_and_health() {
    let mut s = snapshot(Vec::new());
    s.status.events_received = 7;
    s.totals.programs_attached = 17;
    for _ in 0..5 {
        s.totals.syscalls.count(Syscall::Mmap, false);
    }
    s.totals.syscalls.count(Syscall::Munmap, true);
    s.totals.syscalls.count(Syscall::Brk, false);
    s.totals.syscalls.count(Syscall::Brk, false);
    s.status.kernel.ring_full = 3;
    s.status
        .drain_gaps
        .record(std::time::Duration::from_millis(30));
    let text = text(&s);
    for want in [
        "vmmon_syscalls_total{result=\"ok\",syscall=\"mmap\"} 5",
        "vmmon_syscalls_total{result=\"error\",syscall=\"munmap\"} 1",
        "vmmon_syscalls_total{result=\"ok\",syscall=\"brk\"} 2",
        "vmmon_ring_drain_interval_seconds_bucket{le=\"0.02\"} 0",
        "vmmon_ring_drain_interval_seconds_bucket{le=\"0.05\"} 1",
        "vmmon_ring_drain_interval_seconds_count 1",
        "vmmon_events_received_total 7",
        "vmmon_events_dropped_total{reason=\"ring_full\"} 3",
        "vmmon_resync_corrections_total{cause=\"stack_growth\"} 0",
        "vmmon_programs_attached 17",
        "vmmon_decode_errors_total 0",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
}

#[test]
fn the_self_check_is_visible() {
    use crate::ledger::{Mismatch, Verdict};
    let mut s = snapshot(Vec::new());
    s.status.self_check = true;
    let l = &mut s.status.ledger;
    for v in [
        Verdict::Exact,
        Verdict::Exact,
        Verdict::Unchecked,
        Verdict::Mismatch(Mismatch::Grown),
        Verdict::Mismatch(Mismatch::Lost),
    ] {
        l.checks.count(v);
    }
    (l.targeted_resyncs, l.targeted_exact) = (5, 2);
    (l.resyncs, l.resyncs_exact) = (40, 39);
    l.repairs.record(std::time::Duration::from_millis(30));
    let rendered = text(&s);
    for want in [
        "vmmon_self_check_enabled 1",
        "vmmon_self_checks_total{verdict=\"exact\"} 2",
        "vmmon_self_checks_total{verdict=\"unchecked\"} 1",
        "vmmon_self_check_mismatches_total{cause=\"grown\"} 1",
        "vmmon_self_check_mismatches_total{cause=\"lost\"} 1",
        "vmmon_self_check_mismatches_total{cause=\"layout\"} 0",
        "vmmon_targeted_resyncs_total{result=\"corrected\"} 3",
        "vmmon_targeted_resyncs_total{result=\"exact\"} 2",
        "vmmon_resyncs_total{result=\"corrected\"} 1",
        "vmmon_resyncs_total{result=\"exact\"} 39",
        "vmmon_self_check_repair_seconds_count 1",
        "vmmon_self_check_repair_seconds_bucket{le=\"0.05\"} 1",
    ] {
        assert!(rendered.contains(want), "{want} missing:\n{rendered}");
    }
    s.status.self_check = false;
    assert!(text(&s).contains("vmmon_self_check_enabled 0"));
}

#[test]
fn limits_resident_memory_and_exits_are_exposed() {
    use crate::event::Resident;
    let mut big = proc(1, "db", 1 << 30, 0);
    big.mapping_count = 60_000;
    big.resident = Some(Resident {
        anon_bytes: 300 << 20,
        file_bytes: 20 << 20,
        shmem_bytes: 4 << 20,
        swap_bytes: 1 << 20,
        peak_bytes: 400 << 20,
    });
    big.calls.enomem = 3;
    let s = snapshot(vec![big]);
    let own = OwnUsage {
        max_map_count: Some(65530),
        ..OwnUsage::default()
    };
    let text = render(&s, &own);
    for want in [
        "vmmon_max_map_count_limit 65530",
        "vmmon_max_map_count_read_errors_total 0",
        "vmmon_process_map_count_ratio{comm=\"db\",pid=\"1\"} 0.9156",
        "vmmon_process_resident_bytes{comm=\"db\",pid=\"1\",type=\"anon\"} 314572800",
        "vmmon_process_swap_bytes{comm=\"db\",pid=\"1\"} 1048576",
        "vmmon_process_enomem_calls_total{comm=\"db\",pid=\"1\"} 3",
        "vmmon_comm_enomem_calls_total{comm=\"db\"} 3",
        "vmmon_comm_resident_bytes{comm=\"db\",type=\"file\"} 20971520",
        "vmmon_comm_exits_total{comm=\"db\"} 0",
        "vmmon_process_syscalls_total{comm=\"db\",pid=\"1\",syscall=\"brk\"} 0",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    // Unreadable: no gauge, and the failures counted.
    let unreadable = OwnUsage {
        max_map_count: None,
        max_map_count_errors: 2,
        ..OwnUsage::default()
    };
    let text = render(&s, &unreadable);
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("vmmon_max_map_count_limit ")),
        "{text}"
    );
    assert!(!text.contains("vmmon_process_map_count_ratio{"), "{text}");
    assert!(
        text.contains("vmmon_max_map_count_read_errors_total 2"),
        "{text}"
    );
}

#[test]
fn call_site_capture_is_counted() {
    let mut s = snapshot(Vec::new());
    s.status.kernel.sites_captured = 12;
    s.status.kernel.sites_unstored = 1;
    let rendered = text(&s);
    for want in [
        "vmmon_call_sites_captured_total 12",
        "vmmon_call_sites_unstored_total 1",
    ] {
        assert!(rendered.contains(want), "{want} missing:\n{rendered}");
    }
}
