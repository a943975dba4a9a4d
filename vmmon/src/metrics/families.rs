//! The families every process adds to: per process (top K, the rest in `pid="other"`), per
//! comm and per unit (the largest groups, the rest in `"other"`).

use super::select::{top_groups, top_processes};
use crate::view::ProcessView;
use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// `labels` and one more.
fn with<'a>(labels: &[&'a str], extra: &'a str) -> Vec<&'a str> {
    let mut l = labels.to_vec();
    l.push(extra);
    l
}

struct Families {
    virt: IntGaugeVec,
    kind: IntGaugeVec,
    wx: IntGaugeVec,
    mappings: IntGaugeVec,
    mapped: IntCounterVec,
    unmapped: IntCounterVec,
    calls: IntCounterVec,
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
            virt: g("virtual_bytes", "Mapped virtual memory,", labels)?,
            kind: g(
                "mapped_bytes",
                "Mapped bytes by kind of mapping,",
                &with(labels, "kind"),
            )?,
            wx: g("wx_bytes", "Writable and executable bytes,", labels)?,
            mappings: g("mappings", "Mappings,", labels)?,
            mapped: c(
                "mapped_bytes_total",
                "Bytes mapped by mmap, mremap and brk since tracked,",
                labels,
            )?,
            unmapped: c(
                "unmapped_bytes_total",
                "Bytes unmapped since tracked,",
                labels,
            )?,
            calls: c(
                "syscalls_total",
                "Address-space syscalls,",
                &with(labels, "syscall"),
            )?,
            growth: g(
                "growth_bytes",
                "Virtual size gained over the growth window,",
                labels,
            )?,
            rate,
        })
    }

    fn add(&self, labels: &[&str], v: &ProcessView) {
        self.virt
            .with_label_values(labels)
            .add(v.virtual_bytes as i64);
        let k = &v.bytes_by_kind;
        for (name, bytes) in [
            ("heap", k.heap),
            ("stack", k.stack),
            ("anon", k.anon),
            ("file", k.file),
            ("shm", k.shm),
            ("special", k.special),
        ] {
            self.kind
                .with_label_values(&with(labels, name))
                .add(bytes as i64);
        }
        self.wx.with_label_values(labels).add(v.wx_bytes as i64);
        self.mappings
            .with_label_values(labels)
            .add(v.mapping_count as i64);
        self.mapped.with_label_values(labels).inc_by(v.mapped_bytes);
        self.unmapped
            .with_label_values(labels)
            .inc_by(v.unmapped_bytes);
        let c = &v.calls;
        for (name, n) in [
            ("mmap", c.mmap),
            ("munmap", c.munmap),
            ("mremap", c.mremap),
            ("mprotect", c.mprotect),
            ("brk", c.brk),
        ] {
            self.calls.with_label_values(&with(labels, name)).inc_by(n);
        }
        self.growth.with_label_values(labels).add(v.growth_bytes);
        self.rate
            .with_label_values(labels)
            .add(v.growth_bytes_per_second as f64);
    }
}

/// `vmmon_process_*`: the top K processes by size and by growth with their own series, the
/// rest summed into `pid="other", comm="other"`.
pub fn per_process(r: &Registry, procs: &[&ProcessView], k: usize) -> prometheus::Result<()> {
    let families = Families::new(
        r,
        "vmmon_process",
        "per process (top K; the rest in pid=\"other\")",
        &["pid", "comm"],
    )?;
    let keep = top_processes(procs, k);
    for p in procs {
        if keep.contains(&p.pid) {
            families.add(&[&p.pid.to_string(), &p.comm], p);
        } else {
            families.add(&["other", "other"], p);
        }
    }
    let processes = prometheus::IntGauge::new("vmmon_processes", "Processes in the ledger")?;
    processes.set(procs.len() as i64);
    r.register(Box::new(processes))
}

/// `vmmon_comm_*` and `vmmon_unit_*`: sums by comm and by unit, the `max` largest groups named
/// and the rest in `"other"`.
pub fn per_group(r: &Registry, procs: &[&ProcessView], max: usize) -> prometheus::Result<()> {
    group(
        r,
        ("vmmon_comm", "comm"),
        "summed by comm (the largest groups; the rest in comm=\"other\")",
        procs,
        max,
        |p| p.comm.as_str(),
    )?;
    group(
        r,
        ("vmmon_unit", "unit"),
        "summed by container or systemd unit (the largest; the rest in unit=\"other\")",
        procs,
        max,
        |p| p.unit.as_deref().unwrap_or("none"),
    )
}

fn group<'a>(
    r: &Registry,
    (prefix, label): (&str, &str),
    what: &str,
    procs: &[&'a ProcessView],
    max: usize,
    key: impl Fn(&'a ProcessView) -> &'a str + Copy,
) -> prometheus::Result<()> {
    let named = top_groups(procs, max, key);
    let families = Families::new(r, prefix, what, &[label])?;
    for p in procs {
        let k = key(p);
        families.add(&[if named.contains(k) { k } else { "other" }], p);
    }
    Ok(())
}
