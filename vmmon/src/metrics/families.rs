//! The families every process adds to: per process (the top K, the rest in `pid="other"`),
//! per comm and per unit (the named groups, the rest in `"other"`). Gauges are sums over live
//! processes; counters come from the owner's tally, so they never go down.

use super::histogram_family::HistogramFamily;
use crate::view::{Counts, Group, ProcessView, PublishedGroups, PublishedTally, unit_key};
use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry};
use std::collections::HashMap;

/// `labels` and one more.
fn with<'a>(labels: &[&'a str], extra: &'a str) -> Vec<&'a str> {
    let mut l = labels.to_vec();
    l.push(extra);
    l
}

struct Families {
    virt: IntGaugeVec,
    kind: IntGaugeVec,
    kind_mappings: IntGaugeVec,
    resident: IntGaugeVec,
    swap: IntGaugeVec,
    wx: IntGaugeVec,
    mappings: IntGaugeVec,
    mapped: IntCounterVec,
    unmapped: IntCounterVec,
    calls: IntCounterVec,
    enomem: IntCounterVec,
    growth: IntGaugeVec,
    rate: GaugeVec,
}

impl Families {
    fn new(r: &Registry, prefix: &str, what: &str, labels: &[&str]) -> prometheus::Result<Self> {
        let g = |name: &str, help: &str, l: &[&str]| -> prometheus::Result<IntGaugeVec> {
            let v = IntGaugeVec::new(
                Opts::new(format!("{prefix}_{name}"), format!("{help} {what}")),
                l,
            )?;
            r.register(Box::new(v.clone()))?;
            Ok(v)
        };
        let c = |name: &str, help: &str, l: &[&str]| -> prometheus::Result<IntCounterVec> {
            let v = IntCounterVec::new(
                Opts::new(format!("{prefix}_{name}"), format!("{help} {what}")),
                l,
            )?;
            r.register(Box::new(v.clone()))?;
            Ok(v)
        };
        let rate = GaugeVec::new(
            Opts::new(
                format!("{prefix}_growth_bytes_per_second"),
                format!("Virtual size growth now, {what}"),
            ),
            labels,
        )?;
        r.register(Box::new(rate.clone()))?;
        Ok(Self {
            virt: g("virtual_bytes", "Mapped virtual memory (VmSize),", labels)?,
            kind: g(
                "kind_bytes",
                "Mapped bytes by kind of mapping,",
                &with(labels, "kind"),
            )?,
            kind_mappings: g(
                "kind_mappings",
                "Mappings (VMAs) by kind of mapping (deleted_file: files deleted since they were mapped),",
                &with(labels, "kind"),
            )?,
            resident: g(
                "resident_bytes",
                "Resident memory by type (RssAnon, RssFile, RssShmem),",
                &with(labels, "type"),
            )?,
            swap: g("swap_bytes", "Swapped-out memory (VmSwap),", labels)?,
            wx: g("wx_bytes", "Writable and executable bytes,", labels)?,
            mappings: g("mappings", "Mappings (VMAs),", labels)?,
            mapped: c(
                "mapped_bytes_total",
                "Bytes mapped by mmap, mremap and brk,",
                labels,
            )?,
            unmapped: c("unmapped_bytes_total", "Bytes unmapped,", labels)?,
            calls: c(
                "syscalls_total",
                "Address-space syscalls,",
                &with(labels, "syscall"),
            )?,
            enomem: c(
                "enomem_calls_total",
                "Calls that failed with ENOMEM (out of memory or of room for a mapping: vm.max_map_count),",
                labels,
            )?,
            growth: g(
                "growth_bytes",
                "Virtual size gained over the growth window,",
                labels,
            )?,
            rate,
        })
    }

    /// Adds a live process to the gauges of `labels`.
    fn gauges(&self, labels: &[&str], v: &ProcessView) {
        self.virt
            .with_label_values(labels)
            .add(v.virtual_bytes as i64);
        for (family, k) in [
            (&self.kind, &v.bytes_by_kind),
            (&self.kind_mappings, &v.mappings_by_kind),
        ] {
            for (name, n) in k.named() {
                family.with_label_values(&with(labels, name)).add(n as i64);
            }
        }
        let r = v.resident.unwrap_or_default();
        for (name, bytes) in [
            ("anon", r.anon_bytes),
            ("file", r.file_bytes),
            ("shmem", r.shmem_bytes),
        ] {
            self.resident
                .with_label_values(&with(labels, name))
                .add(bytes as i64);
        }
        self.swap.with_label_values(labels).add(r.swap_bytes as i64);
        self.wx.with_label_values(labels).add(v.wx_bytes as i64);
        self.mappings
            .with_label_values(labels)
            .add(v.mapping_count as i64);
        self.growth.with_label_values(labels).add(v.growth_bytes);
        self.rate
            .with_label_values(labels)
            .add(v.growth_bytes_per_second as f64);
    }

    /// Makes the series of `labels` exist with zero gauges (a group with no live process).
    fn empty(&self, labels: &[&str]) {
        self.virt.with_label_values(labels);
        self.mappings.with_label_values(labels);
    }

    /// Sets the counters of `labels` to `c`.
    fn counters(&self, labels: &[&str], c: &Counts) {
        self.mapped.with_label_values(labels).inc_by(c.mapped_bytes);
        self.unmapped
            .with_label_values(labels)
            .inc_by(c.unmapped_bytes);
        let k = &c.calls;
        for (name, n) in [
            ("mmap", k.mmap),
            ("munmap", k.munmap),
            ("mremap", k.mremap),
            ("mprotect", k.mprotect),
            ("brk", k.brk),
            ("other", k.other),
        ] {
            self.calls.with_label_values(&with(labels, name)).inc_by(n);
        }
        self.enomem.with_label_values(labels).inc_by(k.enomem);
    }
}

/// `vmmon_process_*`: the processes the tally names (top K by size, by growth and by
/// mappings) with their own series, the rest in `pid="other", comm="other"`.
pub fn per_process(
    r: &Registry,
    procs: &[&ProcessView],
    tally: &PublishedTally,
    max_map_count: Option<u64>,
) -> prometheus::Result<()> {
    let families = Families::new(
        r,
        "vmmon_process",
        "per process (top K; the rest in pid=\"other\")",
        &["pid", "comm"],
    )?;
    let ratio = GaugeVec::new(
        Opts::new(
            "vmmon_process_map_count_ratio",
            "Mappings over vm.max_map_count, per process (top K; the limit is per process)",
        ),
        &["pid", "comm"],
    )?;
    r.register(Box::new(ratio.clone()))?;
    let other = ["other", "other"];
    families.empty(&other);
    for p in procs {
        if tally.top.contains(&p.pid) {
            let pid = p.pid.to_string();
            let labels = [pid.as_str(), p.comm.as_str()];
            families.gauges(&labels, p);
            families.counters(&labels, &Counts::of(p));
            if let Some(max) = max_map_count.filter(|&m| m > 0) {
                ratio
                    .with_label_values(&labels)
                    .set(p.mapping_count as f64 / max as f64);
            }
        } else {
            families.gauges(&other, p);
        }
    }
    families.counters(&other, &tally.other);
    let processes = prometheus::IntGauge::new("vmmon_processes", "Processes in the ledger")?;
    processes.set(procs.len() as i64);
    r.register(Box::new(processes))
}

/// `vmmon_comm_*` and `vmmon_unit_*`: the named groups and `"other"`, with exits and their
/// footprints by comm.
pub fn per_group(
    r: &Registry,
    procs: &[&ProcessView],
    tally: &PublishedTally,
) -> prometheus::Result<()> {
    group(
        r,
        ("vmmon_comm", "comm"),
        "by comm (the named groups; the rest in comm=\"other\")",
        procs,
        &tally.comm,
        |p| p.comm.as_str(),
    )?;
    exits(r, &tally.comm)?;
    oom_kills(r, ("vmmon_comm", "comm"), &tally.comm)?;
    group(
        r,
        ("vmmon_unit", "unit"),
        "by container or systemd unit (the named; the rest in unit=\"other\")",
        procs,
        &tally.unit,
        |p| unit_key(p.unit.as_deref()),
    )?;
    oom_kills(r, ("vmmon_unit", "unit"), &tally.unit)
}

/// `<prefix>_oom_kills_total`: processes of each group the OOM killer killed.
fn oom_kills(
    r: &Registry,
    (prefix, label): (&str, &str),
    groups: &PublishedGroups,
) -> prometheus::Result<()> {
    let count = IntCounterVec::new(
        Opts::new(
            format!("{prefix}_oom_kills_total"),
            format!(
                "Processes the OOM killer killed (their memory cgroup's or the machine's memory ran out), by {label}"
            ),
        ),
        &[label],
    )?;
    r.register(Box::new(count.clone()))?;
    let all = groups.each();
    for (k, g) in all {
        count.with_label_values(&[k]).inc_by(g.oom_kills);
    }
    Ok(())
}

fn group<'a>(
    r: &Registry,
    (prefix, label): (&str, &str),
    what: &str,
    procs: &[&'a ProcessView],
    groups: &PublishedGroups,
    key: impl Fn(&'a ProcessView) -> &'a str,
) -> prometheus::Result<()> {
    let families = Families::new(r, prefix, what, &[label])?;
    let named: HashMap<&str, &Group> = groups.named.iter().map(|(k, g)| (k.as_str(), g)).collect();
    for p in procs {
        let k = key(p);
        families.gauges(&[if named.contains_key(k) { k } else { "other" }], p);
    }
    for (k, g) in &named {
        families.empty(&[k]);
        families.counters(&[k], &g.counts);
    }
    families.empty(&["other"]);
    families.counters(&["other"], &groups.other.counts);
    Ok(())
}

/// Exits by comm, and histograms of the peak virtual and resident size they left with.
fn exits(r: &Registry, groups: &PublishedGroups) -> prometheus::Result<()> {
    let count = IntCounterVec::new(
        Opts::new(
            "vmmon_comm_exits_total",
            "Processes that exited (their last thread left), by comm",
        ),
        &["comm"],
    )?;
    r.register(Box::new(count.clone()))?;
    for (k, g) in groups.each() {
        count.with_label_values(&[k]).inc_by(g.exits);
    }
    r.register(Box::new(HistogramFamily::new(
        "vmmon_comm_exit_peak_virtual_bytes",
        "Peak virtual size (VmPeak) of processes as they exited, by comm",
        &["comm"],
        groups.each().map(|(k, g)| (vec![k], &g.exit_peak_virtual)),
    )?))?;
    r.register(Box::new(HistogramFamily::new(
        "vmmon_comm_exit_peak_resident_bytes",
        "Peak resident size (VmHWM) of processes as they exited, by comm",
        &["comm"],
        groups.each().map(|(k, g)| (vec![k], &g.exit_peak_resident)),
    )?))
}
