//! Machine-wide totals from the event stream, and the agent's own health: what it received,
//! what the kernel dropped, what resyncs corrected, how long the ring waited to be drained,
//! and what the agent itself costs.

use super::OwnUsage;
use super::histograms::HistogramFamily;
use crate::ledger::{Cause, Mismatch};
use crate::view::{Snapshot, Status};
use prometheus::{IntCounterVec, Opts, Registry};

pub fn register(r: &Registry, s: &Snapshot, own: &OwnUsage) -> prometheus::Result<()> {
    let (m, status) = (&s.totals, &s.status);
    let calls = IntCounterVec::new(
        Opts::new(
            "vmmon_syscalls_total",
            "Address-space syscalls seen on the machine",
        ),
        &["syscall", "result"],
    )?;
    r.register(Box::new(calls.clone()))?;
    for (syscall, n) in m.syscalls.iter() {
        calls
            .with_label_values(&[syscall.name(), "ok"])
            .inc_by(n.ok);
        calls
            .with_label_values(&[syscall.name(), "error"])
            .inc_by(n.error);
    }
    let counter = |name: &str, help: &str, v: u64| -> prometheus::Result<()> {
        let c = prometheus::IntCounter::new(name, help)?;
        c.inc_by(v);
        r.register(Box::new(c))
    };
    let gauge = |name: &str, help: &str, v: f64| -> prometheus::Result<()> {
        let g = prometheus::Gauge::new(name, help)?;
        g.set(v);
        r.register(Box::new(g))
    };
    counter(
        "vmmon_mapped_bytes_total",
        "Bytes mapped on the machine (mmap, mremap growth, brk growth)",
        m.bytes_mapped,
    )?;
    counter(
        "vmmon_unmapped_bytes_total",
        "Bytes unmapped on the machine (munmap)",
        m.bytes_unmapped,
    )?;
    counter(
        "vmmon_events_received_total",
        "Event records received from the kernel",
        status.events_received,
    )?;
    counter(
        "vmmon_decode_errors_total",
        "Event records that did not decode",
        status.decode_errors,
    )?;
    let dropped = IntCounterVec::new(
        Opts::new(
            "vmmon_events_dropped_total",
            "Events the kernel could not deliver",
        ),
        &["reason"],
    )?;
    r.register(Box::new(dropped.clone()))?;
    dropped
        .with_label_values(&["ring_full"])
        .inc_by(status.kernel.ring_full);
    counter(
        "vmmon_call_sites_captured_total",
        "Growing calls whose call site the kernel captured",
        status.kernel.sites_captured,
    )?;
    counter(
        "vmmon_call_sites_unstored_total",
        "Captured call sites whose frames found no room in the kernel's map (named by their caller alone)",
        status.kernel.sites_unstored,
    )?;
    let corrections = IntCounterVec::new(
        Opts::new(
            "vmmon_resync_corrections_total",
            "Resyncs from /proc that had to correct the ledger, by cause",
        ),
        &["cause"],
    )?;
    r.register(Box::new(corrections.clone()))?;
    for cause in Cause::ALL {
        let n = status.ledger.corrections.get(&cause).copied().unwrap_or(0);
        corrections.with_label_values(&[cause.name()]).inc_by(n);
    }
    let resyncs = IntCounterVec::new(
        Opts::new(
            "vmmon_resyncs_total",
            "Round-robin drift checks of a ledger against /proc (the safety net), by what they found",
        ),
        &["result"],
    )?;
    r.register(Box::new(resyncs.clone()))?;
    let l = &status.ledger;
    resyncs
        .with_label_values(&["exact"])
        .inc_by(l.resyncs_exact);
    resyncs
        .with_label_values(&["corrected"])
        .inc_by(l.resyncs.saturating_sub(l.resyncs_exact));
    self_check(r, status)?;
    gauge(
        "vmmon_programs_attached",
        "eBPF programs attached",
        m.programs_attached as f64,
    )?;
    gauge(
        "vmmon_growth_window_seconds",
        "The window of the growth figures",
        status.growth_window_seconds as f64,
    )?;
    r.register(Box::new(HistogramFamily::new(
        "vmmon_ring_drain_interval_seconds",
        "Time between two drains of the kernel ring buffer (how long events waited)",
        &[],
        [(vec![], &status.drain_gaps)],
    )?))?;
    let cpu = prometheus::Counter::new("vmmon_agent_cpu_seconds_total", "CPU time the agent used")?;
    cpu.inc_by(own.cpu_seconds);
    r.register(Box::new(cpu))?;
    gauge(
        "vmmon_agent_resident_bytes",
        "The agent's resident memory",
        own.resident_bytes as f64,
    )?;
    if let Some(max) = own.max_map_count {
        gauge(
            "vmmon_max_map_count_limit",
            "vm.max_map_count: the most mappings a process may have",
            max as f64,
        )?;
    }
    counter(
        "vmmon_max_map_count_read_errors_total",
        "Reads of /proc/sys/vm/max_map_count that failed (vmmon_max_map_count_limit is then absent)",
        own.max_map_count_errors,
    )
}

/// What holding every ledger to the kernel's figures found.
fn self_check(r: &Registry, status: &Status) -> prometheus::Result<()> {
    let enabled = prometheus::IntGauge::new(
        "vmmon_self_check_enabled",
        "1 when the records carry the kernel's figures and every ledger is checked against them",
    )?;
    enabled.set(i64::from(status.self_check));
    r.register(Box::new(enabled))?;
    let checks = &status.ledger.checks;
    let verdicts = IntCounterVec::new(
        Opts::new(
            "vmmon_self_checks_total",
            "Ledgers held against the kernel's figures, by verdict",
        ),
        &["verdict"],
    )?;
    r.register(Box::new(verdicts.clone()))?;
    verdicts.with_label_values(&["exact"]).inc_by(checks.exact);
    verdicts
        .with_label_values(&["unchecked"])
        .inc_by(checks.unchecked);
    let mismatches = IntCounterVec::new(
        Opts::new(
            "vmmon_self_check_mismatches_total",
            "Times a ledger was found to differ from the kernel's figures, by cause",
        ),
        &["cause"],
    )?;
    r.register(Box::new(mismatches.clone()))?;
    for m in Mismatch::ALL {
        let n = checks.mismatches.get(&m).copied().unwrap_or(0);
        mismatches.with_label_values(&[m.name()]).inc_by(n);
    }
    let targeted = IntCounterVec::new(
        Opts::new(
            "vmmon_targeted_resyncs_total",
            "Reads of /proc that a self-check asked for, by what they found",
        ),
        &["result"],
    )?;
    r.register(Box::new(targeted.clone()))?;
    let l = &status.ledger;
    targeted
        .with_label_values(&["exact"])
        .inc_by(l.targeted_exact);
    targeted
        .with_label_values(&["corrected"])
        .inc_by(l.targeted_resyncs.saturating_sub(l.targeted_exact));
    let settled = prometheus::IntCounter::new(
        "vmmon_self_check_layouts_settled_total",
        "Calls whose effect on the layout the kernel's mapping count decided",
    )?;
    settled.inc_by(checks.layouts_settled);
    r.register(Box::new(settled))?;
    r.register(Box::new(HistogramFamily::new(
        "vmmon_self_check_repair_seconds",
        "Time from a self-check finding a ledger wrong to one finding it exact again",
        &[],
        [(vec![], &l.repairs)],
    )?))
}
