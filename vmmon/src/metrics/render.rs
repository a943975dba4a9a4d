//! The families, their labels, and cardinality control: per-process series only for the top
//! K processes by virtual size and by growth over the window, the rest summed into one
//! `pid="other"` series; per-comm groups likewise bounded. A fresh registry per scrape, so
//! the series of exited processes are gone at once.

use crate::agent::view::ProcessView;
use crate::bpf::KernelCounters;
use crate::ledger::{Cause, Counters};
use prometheus::{Encoder, GaugeVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};
use std::collections::HashMap;

/// How much to expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsOptions {
    /// Processes with their own series, by virtual size and (separately) by growth.
    pub top_k: usize,
    /// comm and unit groups with their own series; the rest are summed into "other".
    pub max_groups: usize,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        Self {
            top_k: 20,
            max_groups: 50,
        }
    }
}

/// One process's figures.
#[derive(Clone, Debug)]
pub struct ProcessFigures {
    pub view: ProcessView,
    /// Bytes gained over the growth window.
    pub growth_bytes: i64,
    /// Bytes per second now.
    pub growth_rate: f64,
}

/// Machine-wide totals from the event stream and the agent's own health.
#[derive(Clone, Debug, Default)]
pub struct MachineTotals {
    /// Syscall events by (syscall, "ok" | "error").
    pub syscalls: HashMap<(&'static str, &'static str), u64>,
    pub bytes_mapped: u64,
    pub bytes_unmapped: u64,
    pub events_received: u64,
    pub decode_errors: u64,
    pub kernel: KernelCounters,
    pub ledger: Counters,
    pub programs_attached: u64,
    pub cpu_seconds: f64,
    pub resident_bytes: u64,
    pub growth_window_s: u64,
}

/// Everything a scrape shows.
#[derive(Clone, Debug, Default)]
pub struct MetricsInput {
    pub processes: Vec<ProcessFigures>,
    pub machine: MachineTotals,
}

/// Which pids get their own series.
fn chosen(procs: &[ProcessFigures], k: usize) -> std::collections::HashSet<u32> {
    let mut by_size: Vec<&ProcessFigures> = procs.iter().collect();
    by_size.sort_by_key(|p| std::cmp::Reverse(p.view.virtual_bytes));
    let mut by_growth: Vec<&ProcessFigures> = procs.iter().filter(|p| p.growth_bytes > 0).collect();
    by_growth.sort_by_key(|p| std::cmp::Reverse(p.growth_bytes));
    by_size
        .iter()
        .take(k)
        .chain(by_growth.iter().take(k))
        .map(|p| p.view.pid)
        .collect()
}

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

    fn add(&self, labels: &[&str], f: &ProcessFigures) {
        let v = &f.view;
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
        self.growth.with_label_values(labels).add(f.growth_bytes);
        self.rate.with_label_values(labels).add(f.growth_rate);
    }
}

fn machine(r: &Registry, m: &MachineTotals) -> prometheus::Result<()> {
    let calls = IntCounterVec::new(
        Opts::new(
            "vmmon_syscalls_total",
            "Address-space syscalls seen on the machine",
        ),
        &["syscall", "result"],
    )?;
    r.register(Box::new(calls.clone()))?;
    for ((s, res), n) in &m.syscalls {
        calls.with_label_values(&[s, res]).inc_by(*n);
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
        m.events_received,
    )?;
    counter(
        "vmmon_decode_errors_total",
        "Event records that did not decode",
        m.decode_errors,
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
        .inc_by(m.kernel.ring_full);
    dropped
        .with_label_values(&["pending_full"])
        .inc_by(m.kernel.pending_full);
    let corrections = IntCounterVec::new(
        Opts::new(
            "vmmon_resync_corrections_total",
            "Resyncs from /proc that had to correct the ledger, by cause",
        ),
        &["cause"],
    )?;
    r.register(Box::new(corrections.clone()))?;
    for cause in Cause::ALL {
        let n = m.ledger.corrections.get(&cause).copied().unwrap_or(0);
        corrections.with_label_values(&[cause.name()]).inc_by(n);
    }
    counter(
        "vmmon_resyncs_total",
        "Drift checks of a ledger against /proc",
        m.ledger.resyncs,
    )?;
    gauge(
        "vmmon_programs_attached",
        "eBPF programs attached",
        m.programs_attached as f64,
    )?;
    gauge(
        "vmmon_growth_window_seconds",
        "The window of the growth figures",
        m.growth_window_s as f64,
    )?;
    let cpu = prometheus::Counter::new("vmmon_agent_cpu_seconds_total", "CPU time the agent used")?;
    cpu.inc_by(m.cpu_seconds);
    r.register(Box::new(cpu))?;
    gauge(
        "vmmon_agent_resident_bytes",
        "The agent's resident memory",
        m.resident_bytes as f64,
    )?;
    Ok(())
}

/// The exposition text for one scrape.
pub fn render(input: &MetricsInput, opts: MetricsOptions) -> String {
    match build(input, opts) {
        Ok(r) => {
            let mut out = Vec::new();
            TextEncoder::new()
                .encode(&r.gather(), &mut out)
                .expect("encoding to memory cannot fail");
            String::from_utf8(out).expect("the encoder writes UTF-8")
        }
        Err(e) => format!("# vmmon: building metrics failed: {e}\n"),
    }
}

/// The families summed by `key`, with the `max` largest groups named and the rest in "other".
fn group<'a>(
    r: &Registry,
    prefix: &str,
    what: &str,
    label: &str,
    procs: &'a [ProcessFigures],
    max: usize,
    key: impl Fn(&'a ProcessFigures) -> &'a str,
) -> prometheus::Result<()> {
    let mut sizes: HashMap<&str, u64> = HashMap::new();
    for f in procs {
        *sizes.entry(key(f)).or_default() += f.view.virtual_bytes;
    }
    let mut groups: Vec<(&str, u64)> = sizes.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let named: std::collections::HashSet<&str> = groups.iter().take(max).map(|g| g.0).collect();
    let families = Families::new(r, prefix, what, &[label])?;
    for f in procs {
        let k = key(f);
        families.add(&[if named.contains(k) { k } else { "other" }], f);
    }
    Ok(())
}

fn build(input: &MetricsInput, opts: MetricsOptions) -> prometheus::Result<Registry> {
    let r = Registry::new();
    let per_process = Families::new(
        &r,
        "vmmon_process",
        "per process (top K; the rest in pid=\"other\")",
        &["pid", "comm"],
    )?;
    let keep = chosen(&input.processes, opts.top_k);
    for f in &input.processes {
        let pid = f.view.pid.to_string();
        if keep.contains(&f.view.pid) {
            per_process.add(&[&pid, &f.view.comm], f);
        } else {
            per_process.add(&["other", "other"], f);
        }
    }
    group(
        &r,
        "vmmon_comm",
        "summed by comm (the largest groups; the rest in comm=\"other\")",
        "comm",
        &input.processes,
        opts.max_groups,
        |f| f.view.comm.as_str(),
    )?;
    group(
        &r,
        "vmmon_unit",
        "summed by container or systemd unit (the largest; the rest in unit=\"other\")",
        "unit",
        &input.processes,
        opts.max_groups,
        |f| f.view.unit.as_deref().unwrap_or("none"),
    )?;
    let processes = prometheus::IntGauge::new("vmmon_processes", "Processes in the ledger")?;
    processes.set(input.processes.len() as i64);
    r.register(Box::new(processes))?;
    machine(&r, &input.machine)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::view::test_view;

    fn proc(pid: u32, comm: &str, virt: u64, growth: i64) -> ProcessFigures {
        let mut view = test_view(pid, comm, virt, 2);
        view.growth_bytes = growth;
        ProcessFigures {
            view,
            growth_bytes: growth,
            growth_rate: growth as f64 / 60.0,
        }
    }

    fn line<'a>(text: &'a str, start: &str) -> Option<&'a str> {
        text.lines().find(|l| l.starts_with(start))
    }

    #[test]
    fn top_k_by_size_and_by_growth_the_rest_in_other() {
        let input = MetricsInput {
            processes: vec![
                proc(1, "big", 1000, 0),
                proc(2, "grower", 10, 500),
                proc(3, "small", 20, 0),
                proc(4, "small", 30, 0),
            ],
            machine: MachineTotals::default(),
        };
        let text = render(
            &input,
            MetricsOptions {
                top_k: 1,
                max_groups: 50,
            },
        );
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
        let fewer = MetricsInput {
            processes: vec![proc(1, "big", 1000, 0)],
            machine: MachineTotals::default(),
        };
        assert!(!render(&fewer, MetricsOptions::default()).contains("pid=\"2\""));
    }

    #[test]
    fn hostile_comms_give_valid_exposition_and_comm_groups_are_bounded() {
        let input = MetricsInput {
            processes: vec![
                proc(1, "a\"b\\c\nd", 100, 0),
                proc(2, "x", 50, 0),
                proc(3, "y", 10, 0),
            ],
            machine: MachineTotals::default(),
        };
        let text = render(
            &input,
            MetricsOptions {
                top_k: 10,
                max_groups: 2,
            },
        );
        assert!(text.contains(r#"comm="a\"b\\c\nd""#), "{text}");
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
        let mut machine = MachineTotals {
            events_received: 7,
            programs_attached: 17,
            ..MachineTotals::default()
        };
        machine.syscalls.insert(("mmap", "ok"), 5);
        machine.syscalls.insert(("munmap", "error"), 1);
        machine.kernel.ring_full = 3;
        let text = render(
            &MetricsInput {
                processes: Vec::new(),
                machine,
            },
            MetricsOptions::default(),
        );
        for want in [
            "vmmon_syscalls_total{result=\"ok\",syscall=\"mmap\"} 5",
            "vmmon_syscalls_total{result=\"error\",syscall=\"munmap\"} 1",
            "vmmon_events_received_total 7",
            "vmmon_events_dropped_total{reason=\"ring_full\"} 3",
            "vmmon_resync_corrections_total{cause=\"stack_growth\"} 0",
            "vmmon_programs_attached 17",
            "vmmon_decode_errors_total 0",
        ] {
            assert!(text.contains(want), "{want} missing:\n{text}");
        }
    }

    /// Every `vmmon_*` family a dashboard panel or an alert rule queries exists: a renamed
    /// family cannot silently blank a panel or mute an alert.
    #[test]
    fn dashboard_and_alerts_use_only_families_that_exist() {
        let mut machine = MachineTotals::default();
        machine.syscalls.insert(("mmap", "ok"), 1);
        let text = render(
            &MetricsInput {
                processes: vec![proc(1, "x", 10, 5)],
                machine,
            },
            MetricsOptions::default(),
        );
        let families: std::collections::HashSet<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
        for file in ["grafana/vmmon.json", "prometheus/alerts.yml"] {
            let body = std::fs::read_to_string(deploy.join(file)).unwrap();
            let mut used = 0;
            for (i, _) in body.match_indices("vmmon_") {
                let name: String = body[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // Grafana uids and titles say "vmmon-...", not metric names.
                if name.len() > "vmmon_".len() {
                    assert!(
                        families.contains(name.as_str()),
                        "{file} queries {name}, which vmmon does not export"
                    );
                    used += 1;
                }
            }
            assert!(used >= 3, "{file} queries only {used} families");
        }
    }
}
