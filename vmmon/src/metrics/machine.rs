//! Machine-wide totals from the event stream, and the agent's own health: what it received,
//! what the kernel dropped, what resyncs and self-checks found, how long the ring waited to
//! be drained, and what the agent itself costs. One table of families ([`FAMILIES`]: name,
//! help, labels, and how each reads its series from the scrape), registered in one loop.

use super::OwnUsage;
use super::histogram_family::HistogramFamily;
use crate::ledger::{Cause, Mismatch};
use crate::stats::Histogram;
use crate::view::Snapshot;
use prometheus::{CounterVec, GaugeVec, Opts, Registry};

/// What a scrape reads: the published snapshot and the agent's own usage then.
struct Scrape<'a> {
    s: &'a Snapshot,
    own: &'a OwnUsage,
}

/// One series: its label values (in the family's order) and its value.
type Series = (Vec<&'static str>, f64);

/// What a family is, and how its series are read from a scrape.
enum Read {
    Counter(fn(&Scrape) -> Vec<Series>),
    Gauge(fn(&Scrape) -> Vec<Series>),
    /// A histogram of durations the agent kept (one series, in seconds).
    Histogram(for<'a> fn(&Scrape<'a>) -> &'a Histogram),
}

/// One machine-wide family.
struct Family {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    read: Read,
}

/// The one series of a family without labels.
fn one(v: u64) -> Vec<Series> {
    vec![(Vec::new(), v as f64)]
}

/// The series of a family with one label, by its values.
fn by<const N: usize>(series: [(&'static str, u64); N]) -> Vec<Series> {
    series
        .into_iter()
        .map(|(label, v)| (vec![label], v as f64))
        .collect()
}

/// Every machine-wide family.
const FAMILIES: &[Family] = &[
    Family {
        name: "vmmon_syscalls_total",
        help: "Address-space syscalls seen on the machine",
        labels: &["syscall", "result"],
        read: Read::Counter(|m| {
            let calls = m.s.totals.syscalls.iter();
            calls
                .flat_map(|(call, n)| {
                    [
                        (vec![call.name(), "ok"], n.ok as f64),
                        (vec![call.name(), "error"], n.error as f64),
                    ]
                })
                .collect()
        }),
    },
    Family {
        name: "vmmon_mapped_bytes_total",
        help: "Bytes mapped on the machine (mmap, mremap growth)",
        labels: &[],
        read: Read::Counter(|m| one(m.s.totals.bytes_mapped)),
    },
    Family {
        name: "vmmon_unmapped_bytes_total",
        help: "Bytes unmapped on the machine (munmap, mremap shrink)",
        labels: &[],
        read: Read::Counter(|m| one(m.s.totals.bytes_unmapped)),
    },
    Family {
        name: "vmmon_events_received_total",
        help: "Event records received from the kernel",
        labels: &[],
        read: Read::Counter(|m| one(m.s.status.events_received)),
    },
    Family {
        name: "vmmon_decode_errors_total",
        help: "Event records that did not decode",
        labels: &[],
        read: Read::Counter(|m| one(m.s.status.decode_errors)),
    },
    Family {
        name: "vmmon_events_dropped_total",
        help: "Events the kernel could not deliver",
        labels: &["reason"],
        read: Read::Counter(|m| by([("ring_full", m.s.status.kernel.ring_full)])),
    },
    Family {
        name: "vmmon_call_sites_captured_total",
        help: "Growing calls whose call site the kernel captured",
        labels: &[],
        read: Read::Counter(|m| one(m.s.status.kernel.sites_captured)),
    },
    Family {
        name: "vmmon_call_sites_unstored_total",
        help: "Captured call sites whose frames found no room in the kernel's map (named by their caller alone)",
        labels: &[],
        read: Read::Counter(|m| one(m.s.status.kernel.sites_unstored)),
    },
    Family {
        name: "vmmon_resync_corrections_total",
        help: "Resyncs from /proc that had to correct the ledger, by cause",
        labels: &["cause"],
        read: Read::Counter(|m| {
            let found = &m.s.status.ledger.corrections;
            by(Cause::ALL.map(|c| (c.name(), found.get(&c).copied().unwrap_or(0))))
        }),
    },
    Family {
        name: "vmmon_resyncs_total",
        help: "Round-robin drift checks of a ledger against /proc (the safety net), by what they found",
        labels: &["result"],
        read: Read::Counter(|m| {
            let l = &m.s.status.ledger;
            let corrected = l.resyncs.saturating_sub(l.resyncs_exact);
            by([("exact", l.resyncs_exact), ("corrected", corrected)])
        }),
    },
    Family {
        name: "vmmon_self_check_enabled",
        help: "1 when the records carry the kernel's figures and every ledger is checked against them",
        labels: &[],
        read: Read::Gauge(|m| one(m.s.status.self_check.into())),
    },
    Family {
        name: "vmmon_self_checks_total",
        help: "Ledgers held against the kernel's figures, by verdict",
        labels: &["verdict"],
        read: Read::Counter(|m| {
            let checks = &m.s.status.ledger.checks;
            by([("exact", checks.exact), ("unchecked", checks.unchecked)])
        }),
    },
    Family {
        name: "vmmon_self_check_mismatches_total",
        help: "Times a ledger was found to differ from the kernel's figures, by cause",
        labels: &["cause"],
        read: Read::Counter(|m| {
            let found = &m.s.status.ledger.checks.mismatches;
            by(Mismatch::ALL.map(|c| (c.name(), found.get(&c).copied().unwrap_or(0))))
        }),
    },
    Family {
        name: "vmmon_targeted_resyncs_total",
        help: "Reads of /proc that a self-check asked for, by what they found",
        labels: &["result"],
        read: Read::Counter(|m| {
            let l = &m.s.status.ledger;
            let corrected = l.targeted_resyncs.saturating_sub(l.targeted_exact);
            by([("exact", l.targeted_exact), ("corrected", corrected)])
        }),
    },
    Family {
        name: "vmmon_self_check_layouts_settled_total",
        help: "Calls whose effect on the layout the kernel's mapping count decided",
        labels: &[],
        read: Read::Counter(|m| one(m.s.status.ledger.checks.layouts_settled)),
    },
    Family {
        name: "vmmon_self_check_repair_seconds",
        help: "Time from a self-check finding a ledger wrong to one finding it exact again",
        labels: &[],
        read: Read::Histogram(|m| &m.s.status.ledger.repairs),
    },
    Family {
        name: "vmmon_programs_attached",
        help: "eBPF programs attached",
        labels: &[],
        read: Read::Gauge(|m| one(m.s.totals.programs_attached)),
    },
    Family {
        name: "vmmon_growth_window_seconds",
        help: "The window of the growth figures",
        labels: &[],
        read: Read::Gauge(|m| one(m.s.status.growth_window_seconds)),
    },
    Family {
        name: "vmmon_ring_drain_interval_seconds",
        help: "Time between two drains of the kernel ring buffer (how long events waited)",
        labels: &[],
        read: Read::Histogram(|m| &m.s.status.drain_gaps),
    },
    Family {
        name: "vmmon_agent_cpu_seconds_total",
        help: "CPU time the agent used",
        labels: &[],
        read: Read::Counter(|m| vec![(Vec::new(), m.own.cpu_seconds)]),
    },
    Family {
        name: "vmmon_agent_resident_bytes",
        help: "The agent's resident memory",
        labels: &[],
        read: Read::Gauge(|m| one(m.own.resident_bytes)),
    },
    Family {
        name: "vmmon_max_map_count_limit",
        help: "vm.max_map_count: the most mappings a process may have",
        labels: &[],
        read: Read::Gauge(|m| m.own.max_map_count.map(one).unwrap_or_default()),
    },
    Family {
        name: "vmmon_max_map_count_read_errors_total",
        help: "Reads of /proc/sys/vm/max_map_count that failed (vmmon_max_map_count_limit is then absent)",
        labels: &[],
        read: Read::Counter(|m| one(m.own.max_map_count_errors)),
    },
];

/// Registers every machine-wide family with its series from `s` and `own`. (A family
/// without series, as the limit when it could not be read, is left out of the exposition.)
pub fn register(r: &Registry, s: &Snapshot, own: &OwnUsage) -> prometheus::Result<()> {
    let scrape = Scrape { s, own };
    for f in FAMILIES {
        let opts = || Opts::new(f.name, f.help);
        match f.read {
            Read::Counter(read) => {
                let family = CounterVec::new(opts(), f.labels)?;
                for (values, v) in read(&scrape) {
                    family.with_label_values(&values).inc_by(v);
                }
                r.register(Box::new(family))?;
            }
            Read::Gauge(read) => {
                let family = GaugeVec::new(opts(), f.labels)?;
                for (values, v) in read(&scrape) {
                    family.with_label_values(&values).set(v);
                }
                r.register(Box::new(family))?;
            }
            Read::Histogram(read) => {
                let one = [(Vec::new(), read(&scrape))];
                r.register(Box::new(HistogramFamily::new(
                    f.name, f.help, f.labels, one,
                )?))?;
            }
        }
    }
    Ok(())
}
