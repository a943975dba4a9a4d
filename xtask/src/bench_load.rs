//! `cargo xtask bench --part load`: the agent under load, as a user runs it (default
//! settings), this build and any other (`--agent PATH`), interleaved in one run:
//!
//! - what the agent costs the calls it does not trace (a `getpid` loop) and those it traces
//!   (a loop of 28 KiB mmap+munmap), as medians of interleaved rounds, each a ratio to nothing
//!   attached and to the empty programs on the same build's hooks (its `vmmon-floor`, found
//!   beside its `vmmon`);
//! - with one and then two producer loops of a million mmap+munmap pairs at once: events
//!   received and dropped, the agent's CPU (every thread's, from `/proc/PID/task/*/schedstat`)
//!   per event received, whether its comm group's mmap counter counted every call;
//! - its resident memory idle, at its peak during the two loops, and 30 s after them.
//!
//! Everything is read from `/proc` and `/metrics`, so builds from before any API change
//! measure the same way.

use crate::bench::median;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bytes each producer maps and unmaps per pair.
const PAIR_BYTES: &str = "28672";
/// Pairs per producer in the load runs.
const LOAD_PAIRS: u64 = 1_000_000;
/// Pairs and getpid calls per tax round.
const TAX_PAIRS: u64 = 300_000;
const TAX_GETPIDS: u64 = 3_000_000;
/// The comm the producers run under (`vmmon-bench-loop`, cut to 15 bytes by the kernel).
const PRODUCER_COMM: &str = "vmmon-bench-loo";

/// The targets of the load issue.
const TARGET_NS_PER_EVENT: f64 = 500.0;
const TARGET_GETPID: f64 = 1.45;
const TARGET_MMAP: f64 = 1.25;
const TARGET_IDLE_MIB: f64 = 40.0;
const TARGET_PEAK_MIB: f64 = 128.0;

/// A build to measure: its `vmmon`, and its empty programs when it has them.
#[derive(Clone, Debug)]
pub struct Build {
    pub label: String,
    pub vmmon: PathBuf,
    pub floor: Option<PathBuf>,
}

impl Build {
    /// The build in `bin` (this one), or the `vmmon` at `exe` with the `vmmon-floor` beside it.
    pub fn of(label: &str, exe: &Path) -> Self {
        let floor = exe.with_file_name("vmmon-floor");
        Self {
            label: label.to_string(),
            vmmon: exe.to_path_buf(),
            floor: floor.exists().then_some(floor),
        }
    }
}

/// One producer run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Run {
    pub events: u64,
    pub dropped: u64,
    pub cpu_ns: u64,
    /// mmap calls the producers made, and the agent's comm group counted (None: the build
    /// has no such family).
    pub mmaps_made: u64,
    pub mmaps_counted: Option<u64>,
}

impl Run {
    fn ns_per_event(&self) -> f64 {
        self.cpu_ns as f64 / self.events.max(1) as f64
    }
}

/// What one build did.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub idle_kib: Vec<u64>,
    pub one: Vec<Run>,
    pub two: Vec<Run>,
    pub peak_kib: Vec<u64>,
    pub after_kib: Vec<u64>,
    /// Per tax round, with the agent, and with its floor.
    pub agent_tax: Vec<Tax>,
    pub floor_tax: Vec<Tax>,
}

/// One round of the tax loops: ns per getpid and per mmap+munmap pair.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tax {
    pub getpid: f64,
    pub mmap: f64,
}

/// A running agent of some build, on a free port, stopped when dropped.
struct Agent(crate::bench_agent::Agent);

impl Agent {
    /// Starts it and waits until `/metrics` answers and the bootstrap's reads are in.
    fn start(exe: &Path) -> Result<Self> {
        let agent = Self(crate::bench_agent::Agent::start_exe(exe)?);
        let start = Instant::now();
        while agent.metric("vmmon_events_received_total").is_none() {
            if start.elapsed() > Duration::from_secs(30) {
                bail!("{} agent never served /metrics", exe.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_secs(3));
        Ok(agent)
    }

    fn pid(&self) -> u32 {
        self.0.child.id()
    }

    fn metrics(&self) -> Option<String> {
        let mut resp = ureq::get(&format!("http://{}/metrics", self.0.addr))
            .call()
            .ok()?;
        resp.body_mut().read_to_string().ok()
    }

    /// The sum of every sample of family `name` whose labels contain `labels`.
    fn metric_with(&self, name: &str, labels: &[&str]) -> Option<u64> {
        let text = self.metrics()?;
        sum_samples(&text, name, labels)
    }

    fn metric(&self, name: &str) -> Option<u64> {
        self.metric_with(name, &[])
    }

    fn rss_kib(&self) -> Result<u64> {
        rss_kib(self.pid())
    }

    /// CPU time of every thread so far (ns).
    fn cpu_ns(&self) -> Result<u64> {
        let mut total = 0;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.pid()))? {
            let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
            total += stat
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .context("schedstat")?;
        }
        Ok(total)
    }
}

/// The sum of the samples of family `name` (its exact name) whose labels contain every one
/// of `labels` (`key="value"`).
fn sum_samples(text: &str, name: &str, labels: &[&str]) -> Option<u64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else {
            continue;
        };
        let (labelset, value) = match rest.strip_prefix('{') {
            Some(r) => match r.split_once("} ") {
                Some((l, v)) => (l, v),
                None => continue,
            },
            None => match rest.strip_prefix(' ') {
                Some(v) => ("", v),
                None => continue,
            },
        };
        if labels.iter().all(|l| labelset.split(',').any(|x| x == *l)) {
            let v: f64 = value.trim().parse().ok()?;
            *found.get_or_insert(0) += v as u64;
        }
    }
    found
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .context("no VmRSS")
}

/// Runs `n` producer loops of `pairs` at once; returns when all are done.
fn producers(bin: &Path, n: usize, pairs: u64) -> Result<()> {
    let children: Vec<Child> = (0..n)
        .map(|_| {
            Command::new(bin.join("vmmon-bench-loop"))
                .args(["mmap", &pairs.to_string(), PAIR_BYTES])
                .stdout(Stdio::null())
                .spawn()
                .context("starting vmmon-bench-loop")
        })
        .collect::<Result<_>>()?;
    for mut c in children {
        let status = c.wait()?;
        if !status.success() {
            bail!("vmmon-bench-loop failed: {status}");
        }
    }
    Ok(())
}

/// Waits until the agent has received `want` more events than `from`, or receives no more
/// than the machine's own trickle (under a hundred a second; some were dropped), or a
/// minute has passed.
fn settle(agent: &Agent, from: u64, want: u64) -> u64 {
    let start = Instant::now();
    let mut last = agent.metric("vmmon_events_received_total").unwrap_or(0);
    loop {
        if last >= from + want || start.elapsed() > Duration::from_secs(60) {
            return last;
        }
        std::thread::sleep(Duration::from_secs(1));
        let now = agent.metric("vmmon_events_received_total").unwrap_or(0);
        if now - last < 100 {
            return now;
        }
        last = now;
    }
}

/// One run of `n` producers against `agent`; with `peak`, the agent's RSS is sampled
/// meanwhile and its highest reading stored there.
fn run(bin: &Path, agent: &Agent, n: usize, peak: Option<&AtomicU64>) -> Result<Run> {
    let mmaps0 = counted_mmaps(agent);
    let (events0, dropped0, cpu0) = (
        agent.metric("vmmon_events_received_total").unwrap_or(0),
        agent.metric("vmmon_events_dropped_total").unwrap_or(0),
        agent.cpu_ns()?,
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = peak.map(|_| {
        let (stop, pid) = (stop.clone(), agent.pid());
        std::thread::spawn(move || {
            let mut top = 0;
            while !stop.load(Ordering::Relaxed) {
                top = top.max(rss_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(50));
            }
            top
        })
    });
    producers(bin, n, LOAD_PAIRS)?;
    // Each pair is two records; the loops' own start and exit add a few.
    let made = 2 * LOAD_PAIRS * n as u64;
    let events1 = settle(agent, events0, made);
    stop.store(true, Ordering::Relaxed);
    if let (Some(peak), Some(s)) = (peak, sampler) {
        peak.store(s.join().unwrap_or(0), Ordering::Relaxed);
    }
    let dropped1 = agent.metric("vmmon_events_dropped_total").unwrap_or(0);
    let cpu1 = agent.cpu_ns()?;
    let mmaps1 = counted_mmaps(agent);
    Ok(Run {
        events: events1 - events0,
        dropped: dropped1 - dropped0,
        cpu_ns: cpu1 - cpu0,
        mmaps_made: LOAD_PAIRS * n as u64,
        mmaps_counted: mmaps1.map(|m| m - mmaps0.unwrap_or(0)),
    })
}

/// The producers' mmaps as the agent's comm group counts them, once the count has stopped
/// moving (the tally counts on the agent's one-second tick); `None`: the build has no such
/// family.
fn counted_mmaps(agent: &Agent) -> Option<u64> {
    let comm = format!("comm=\"{PRODUCER_COMM}\"");
    let read = || agent.metric_with("vmmon_comm_syscalls_total", &[&comm, "syscall=\"mmap\""]);
    // A build without the family has nothing to wait for.
    agent.metric("vmmon_comm_syscalls_total")?;
    // At least one tick after the last producer left, then until two readings a tick apart
    // agree.
    let mut last = None;
    for _ in 0..10 {
        std::thread::sleep(Duration::from_millis(1200));
        let now = read();
        if now.is_some() && now == last {
            break;
        }
        last = now;
    }
    last
}

/// The mmaps a producer makes before its loop (the dynamic loader's), as the agent's comm
/// group counts them: what a producer of no pairs adds.
fn startup_mmaps(bin: &Path, agent: &Agent) -> Result<u64> {
    // A fresh agent: no producer counted yet.
    let comm = format!("comm=\"{PRODUCER_COMM}\"");
    let before = agent.metric_with("vmmon_comm_syscalls_total", &[&comm, "syscall=\"mmap\""]);
    producers(bin, 1, 0)?;
    Ok(counted_mmaps(agent).unwrap_or(0) - before.unwrap_or(0))
}

/// The load runs of one build: idle, one producer, two producers, after.
fn load(bin: &Path, build: &Build, f: &mut Figures) -> Result<()> {
    eprintln!("xtask: bench: load on {}", build.label);
    let agent = Agent::start(&build.vmmon)?;
    let idle = agent.rss_kib()?;
    f.idle_kib.push(idle);
    let startup = startup_mmaps(bin, &agent)?;
    let mut one = run(bin, &agent, 1, None)?;
    one.mmaps_made += startup;
    f.one.push(one);
    let peak = AtomicU64::new(0);
    let mut two = run(bin, &agent, 2, Some(&peak))?;
    two.mmaps_made += 2 * startup;
    f.two.push(two);
    f.peak_kib.push(peak.load(Ordering::Relaxed));
    // Back near idle within 30 s: the reading at 30 s, or the first within 10% before.
    let start = Instant::now();
    let mut after = agent.rss_kib()?;
    while start.elapsed() < Duration::from_secs(30) && after as f64 > idle as f64 * 1.10 {
        std::thread::sleep(Duration::from_millis(500));
        after = agent.rss_kib()?;
    }
    f.after_kib.push(after);
    Ok(())
}

/// A loop's ns per iteration.
fn loop_ns(bin: &Path, args: &[&str]) -> Result<f64> {
    let out = Command::new(bin.join("vmmon-bench-loop"))
        .args(args)
        .output()
        .context("running vmmon-bench-loop")?;
    if !out.status.success() {
        bail!(
            "vmmon-bench-loop {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .with_context(|| format!("vmmon-bench-loop printed {text:?}"))
}

fn tax_loops(bin: &Path) -> Result<Tax> {
    let getpid = loop_ns(bin, &["getpid", &TAX_GETPIDS.to_string()])?;
    let mmap = loop_ns(bin, &["mmap", &TAX_PAIRS.to_string(), PAIR_BYTES])?;
    Ok(Tax { getpid, mmap })
}

/// Empty programs on a build's hooks, until dropped.
struct Floor(Child);

impl Floor {
    fn start(exe: &Path) -> Result<Self> {
        let mut child = Command::new(exe)
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let mut err = BufReader::new(child.stderr.take().expect("piped"));
        let mut line = String::new();
        loop {
            line.clear();
            if err.read_line(&mut line)? == 0 {
                bail!("{} exited before attaching", exe.display());
            }
            if line.contains("attached") {
                return Ok(Self(child));
            }
        }
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Detached,
    Floor(usize),
    Agent(usize),
}

/// One round of the tax loops in every mode, in a rotated order.
fn tax_round(
    bin: &Path,
    builds: &[Build],
    round: usize,
    figures: &mut [Figures],
    detached: &mut Vec<Tax>,
) -> Result<()> {
    let mut modes = vec![Mode::Detached];
    for (i, b) in builds.iter().enumerate() {
        if b.floor.is_some() {
            modes.push(Mode::Floor(i));
        }
        modes.push(Mode::Agent(i));
    }
    let k = modes.len();
    for j in 0..k {
        match modes[(j + round) % k] {
            Mode::Detached => detached.push(tax_loops(bin)?),
            Mode::Floor(i) => {
                let _floor = Floor::start(builds[i].floor.as_deref().expect("has a floor"))?;
                figures[i].floor_tax.push(tax_loops(bin)?);
            }
            Mode::Agent(i) => {
                let _agent = Agent::start(&builds[i].vmmon)?;
                figures[i].agent_tax.push(tax_loops(bin)?);
            }
        }
    }
    Ok(())
}

/// Every build measured, interleaved: `rounds` tax rounds, then `runs` load runs each.
pub fn run_all(
    bin: &Path,
    builds: &[Build],
    rounds: u32,
    runs: u32,
) -> Result<(Vec<Figures>, Vec<Tax>)> {
    let mut figures = vec![Figures::default(); builds.len()];
    let mut detached = Vec::new();
    for round in 0..rounds as usize {
        eprintln!("xtask: bench: load: tax round {}/{rounds}", round + 1);
        tax_round(bin, builds, round, &mut figures, &mut detached)?;
    }
    for r in 0..runs as usize {
        for k in 0..builds.len() {
            let i = (k + r) % builds.len();
            load(bin, &builds[i], &mut figures[i])?;
        }
    }
    Ok((figures, detached))
}

/// Median within-round ratio of `of` to `to`, for the loop `pick` picks.
fn ratio(of: &[Tax], to: &[Tax], pick: fn(&Tax) -> f64) -> f64 {
    median(of.iter().zip(to).map(|(a, b)| pick(a) / pick(b)).collect())
}

fn range(v: impl Iterator<Item = f64>) -> String {
    let v: Vec<f64> = v.collect();
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if v.is_empty() {
        "–".into()
    } else if (hi - lo).abs() < 0.5 {
        format!("{lo:.0}")
    } else {
        format!("{lo:.0}–{hi:.0}")
    }
}

fn mib(kib: &[u64]) -> String {
    range(kib.iter().map(|&k| k as f64 / 1024.0))
}

fn counted(runs: &[Run]) -> String {
    let made: u64 = runs.iter().map(|r| r.mmaps_made).sum();
    match runs.iter().map(|r| r.mmaps_counted).sum::<Option<u64>>() {
        Some(c) => format!("{c} of {made}"),
        None => "–".into(),
    }
}

/// Prints the table, one column per build, and the verdict on this build (the first).
pub fn report(builds: &[Build], figures: &[Figures], detached: &[Tax]) {
    print_table(builds, figures, detached);
    if let Some(f) = figures.first() {
        print_verdict(&builds[0].label, f, detached);
    }
}

/// What each build measured, one column per build.
fn print_table(builds: &[Build], figures: &[Figures], detached: &[Tax]) {
    let getpid = |x: &Tax| x.getpid;
    let mmap = |x: &Tax| x.mmap;
    let cols: Vec<&str> = builds.iter().map(|b| b.label.as_str()).collect();
    println!();
    println!(
        "vmmon load bench: {} tax rounds, {} load runs of {LOAD_PAIRS} pairs of {PAIR_BYTES} B per producer",
        detached.len(),
        figures.first().map_or(0, |f| f.two.len())
    );
    println!("| measured | {} |", cols.join(" | "));
    println!("|---|{}", "---|".repeat(cols.len()));
    let row = |name: &str, cell: &dyn Fn(&Figures) -> String| {
        let cells: Vec<String> = figures.iter().map(cell).collect();
        println!("| {name} | {} |", cells.join(" | "));
    };
    row("two producers: events received / dropped", &|f| {
        let e: u64 = f.two.iter().map(|r| r.events).sum();
        let d: u64 = f.two.iter().map(|r| r.dropped).sum();
        format!("{e} / {d}")
    });
    row("two producers: agent CPU per event (ns)", &|f| {
        range(f.two.iter().map(Run::ns_per_event))
    });
    row("one producer: agent CPU per event (ns), drops", &|f| {
        let d: u64 = f.one.iter().map(|r| r.dropped).sum();
        format!("{}, {d}", range(f.one.iter().map(Run::ns_per_event)))
    });
    row("producers' mmaps the comm group counted", &|f| {
        counted(&[f.one.clone(), f.two.clone()].concat())
    });
    row("getpid: ratio to nothing / to its floor", &|f| {
        format!(
            "{:.2}x / {:.2}x",
            ratio(&f.agent_tax, detached, getpid),
            ratio(&f.agent_tax, &f.floor_tax, getpid)
        )
    });
    row("mmap+munmap: ratio to nothing / to its floor", &|f| {
        format!(
            "{:.2}x / {:.2}x",
            ratio(&f.agent_tax, detached, mmap),
            ratio(&f.agent_tax, &f.floor_tax, mmap)
        )
    });
    row("its floor (empty programs): getpid / mmap+munmap", &|f| {
        format!(
            "{:.2}x / {:.2}x",
            ratio(&f.floor_tax, detached, getpid),
            ratio(&f.floor_tax, detached, mmap)
        )
    });
    row("RSS idle (MiB)", &|f| mib(&f.idle_kib));
    row("RSS peak during two producers / 30 s after (MiB)", &|f| {
        format!("{} / {}", mib(&f.peak_kib), mib(&f.after_kib))
    });
}

/// Whether the build `label` measured `f` meets each target.
fn print_verdict(label: &str, f: &Figures, detached: &[Tax]) {
    let getpid = |x: &Tax| x.getpid;
    let mmap = |x: &Tax| x.mmap;
    let worst_ns = f.two.iter().map(Run::ns_per_event).fold(0.0, f64::max);
    let drops: u64 = f.one.iter().chain(&f.two).map(|r| r.dropped).sum();
    let exact = f
        .one
        .iter()
        .chain(&f.two)
        .all(|r| r.mmaps_counted == Some(r.mmaps_made));
    let getpid_x = ratio(&f.agent_tax, detached, getpid);
    let mmap_x = ratio(&f.agent_tax, detached, mmap);
    let idle = f.idle_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
    let peak = f.peak_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
    let back = f
        .after_kib
        .iter()
        .zip(&f.idle_kib)
        .all(|(&a, &i)| a as f64 <= i as f64 * 1.10);
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "targets for {}: CPU per event with two producers <= {TARGET_NS_PER_EVENT} ns: {} ({worst_ns:.0}); zero drops: {} ({drops}); counters exact: {}; getpid <= {TARGET_GETPID}x: {} ({getpid_x:.2}x); mmap+munmap <= {TARGET_MMAP}x: {} ({mmap_x:.2}x); idle RSS <= {TARGET_IDLE_MIB} MiB: {} ({idle:.0}); peak <= {TARGET_PEAK_MIB} MiB: {} ({peak:.0}); back within 10% of idle in 30 s: {}",
        label,
        verdict(worst_ns <= TARGET_NS_PER_EVENT),
        verdict(drops == 0),
        verdict(exact),
        verdict(getpid_x <= TARGET_GETPID),
        verdict(mmap_x <= TARGET_MMAP),
        verdict(idle <= TARGET_IDLE_MIB),
        verdict(peak <= TARGET_PEAK_MIB),
        verdict(back),
    );
}

#[cfg(test)]
mod tests;
