//! `cargo xtask bench`: what tracing costs the traced. Interleaved rounds, in one invocation,
//! of the same loops with nothing attached, with empty programs on vmmon's tracepoints (the
//! floor), and with `vmmon trace --json >/dev/null` running with call sites captured never,
//! at the default threshold, and for every call; reported as ratios to detached.

use crate::cmd::{self, workspace_root};
use crate::setup;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

#[derive(clap::Args)]
pub struct Options {
    /// mmap+munmap pairs per run (4 KiB anonymous, a tight loop).
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u64).range(300_000..))]
    pairs: u64,
    /// getpid calls per run.
    #[arg(long, default_value_t = 3_000_000)]
    getpids: u64,
    /// Rounds; each runs every mode once, in a rotating order.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,
    /// Which benchmarks: the tracing overhead, the ledger and agent, `vmmon top`, draining
    /// under scrapes, the self-check during a cargo build, or all.
    #[arg(long, value_enum, default_value_t = Part::All)]
    part: Part,
    /// Another `vmmon` binary to measure (a build from before a change): `--part scrape`
    /// measures the first instead of this build; `--part load` measures each beside this
    /// build, interleaved (with the `vmmon-floor` beside it, when there is one).
    #[arg(long, value_name = "PATH")]
    agent: Vec<std::path::PathBuf>,
    /// For `--part load`: load runs per build (each: idle, one producer, two at once, after).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=20))]
    load_runs: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    Pipeline,
    Ledger,
    Top,
    Scrape,
    Exact,
    Load,
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Detached,
    Floor,
    /// `vmmon trace --json` with call sites captured: never, at the default threshold, for
    /// every growing call.
    SitesOff,
    SitesDefault,
    SitesAll,
}

const MODES: [Mode; 5] = [
    Mode::Detached,
    Mode::Floor,
    Mode::SitesOff,
    Mode::SitesDefault,
    Mode::SitesAll,
];

/// The mode the target applies to: what users run.
const DEFAULT: usize = 3;

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::Detached => "nothing attached",
            Mode::Floor => "empty programs (floor)",
            Mode::SitesOff => "vmmon, call sites off",
            Mode::SitesDefault => "vmmon, default (64KiB)",
            Mode::SitesAll => "vmmon, call sites all",
        }
    }

    /// The `--call-sites` flag it runs `vmmon trace` with (none: the default).
    fn call_sites(self) -> Option<&'static str> {
        match self {
            Mode::SitesOff => Some("off"),
            Mode::SitesAll => Some("all"),
            _ => None,
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Sample {
    mmap_ns: f64,
    getpid_ns: f64,
    received: u64,
    dropped: u64,
}

pub fn run(opts: Options) -> Result<()> {
    setup::run()?;
    if !cmd::is_root() {
        bail!(
            "the benchmark attaches eBPF programs and must run as root: `sudo cargo xtask bench`"
        );
    }
    let root = workspace_root();
    cmd::run(Command::new("cargo").current_dir(&root).args([
        "build",
        "--release",
        "--package",
        "vmmon",
        "--package",
        "vmmon-integration-tests",
        "--bins",
    ]))?;
    let bin = root.join("target/release");
    let part = |p: Part| opts.part == p || opts.part == Part::All;
    if part(Part::Pipeline) {
        pipeline(&bin, &opts)?;
    }
    if part(Part::Ledger) {
        let figures = crate::bench_agent::run(&bin)?;
        crate::bench_agent::report(&figures);
    }
    if part(Part::Top) {
        let figures = crate::bench_top::run(&bin)?;
        crate::bench_top::report(&figures);
    }
    if part(Part::Scrape) {
        let figures = crate::bench_scrape::run(&bin, opts.agent.first().map(PathBuf::as_path))?;
        crate::bench_scrape::report(&figures);
    }
    if part(Part::Load) {
        let mut builds = vec![crate::bench_load::Build::of(
            "this build",
            &bin.join("vmmon"),
        )];
        for exe in &opts.agent {
            builds.push(crate::bench_load::Build::of(
                &exe.display().to_string(),
                exe,
            ));
        }
        let (figures, detached) =
            crate::bench_load::run_all(&bin, &builds, opts.rounds, opts.load_runs)?;
        crate::bench_load::report(&builds, &figures, &detached);
    }
    if part(Part::Exact) {
        let figures = crate::bench_exact::run(&bin, &root)?;
        crate::bench_exact::report(&figures);
        crate::bench_exact::run_stress(&bin)?;
    }
    Ok(())
}

fn pipeline(bin: &Path, opts: &Options) -> Result<()> {
    let mut samples: Vec<[Sample; MODES.len()]> = Vec::new();
    for round in 0..opts.rounds {
        let mut row = [Sample::default(); MODES.len()];
        for k in 0..MODES.len() {
            let i = (k + round as usize) % MODES.len();
            row[i] = measure(bin, MODES[i], opts)
                .with_context(|| format!("round {} with {}", round + 1, MODES[i].label()))?;
        }
        let ns = |f: fn(&Sample) -> f64| {
            row.iter()
                .map(|s| format!("{:.0}", f(s)))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        eprintln!(
            "xtask: bench round {}/{}: mmap+munmap {} ns, getpid {} ns (detached / floor / sites off / default / all)",
            round + 1,
            opts.rounds,
            ns(|s| s.mmap_ns),
            ns(|s| s.getpid_ns),
        );
        samples.push(row);
    }
    report(&samples, opts);
    Ok(())
}

fn measure(bin: &Path, mode: Mode, opts: &Options) -> Result<Sample> {
    let mut attached = match mode {
        Mode::Detached => None,
        Mode::Floor => Some(start(Command::new(bin.join("vmmon-floor")))?),
        Mode::SitesOff | Mode::SitesDefault | Mode::SitesAll => {
            let mut c = Command::new(bin.join("vmmon"));
            c.args(["trace", "--json"]).stdout(Stdio::null());
            if let Some(sites) = mode.call_sites() {
                c.args(["--call-sites", sites]);
            }
            Some(start(c)?)
        }
    };
    let mmap_ns = run_loop(bin, "mmap", opts.pairs)?;
    let getpid_ns = run_loop(bin, "getpid", opts.getpids)?;
    let mut sample = Sample {
        mmap_ns,
        getpid_ns,
        ..Sample::default()
    };
    if let Some(a) = attached.as_mut() {
        let summary = stop(a)?;
        if mode.call_sites().is_some() || mode == Mode::SitesDefault {
            sample.received = number_before(&summary, " events received")
                .with_context(|| format!("no event count in vmmon's summary: {summary}"))?;
            sample.dropped = number_before(&summary, " dropped in the kernel")
                .with_context(|| format!("no drop count in vmmon's summary: {summary}"))?;
        }
    }
    Ok(sample)
}

/// A running attacher: the child and its stderr, read up to its "attached" line.
struct Attached {
    child: Child,
    stderr: BufReader<std::process::ChildStderr>,
}

fn start(mut cmd: Command) -> Result<Attached> {
    let mut child = cmd
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", cmd::describe(&cmd)))?;
    let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    loop {
        line.clear();
        if stderr.read_line(&mut line)? == 0 {
            bail!("{} exited before attaching", cmd::describe(&cmd));
        }
        if line.contains("attached") {
            return Ok(Attached { child, stderr });
        }
    }
}

/// Sends SIGTERM, waits, and returns the rest of its stderr (vmmon's summary).
fn stop(a: &mut Attached) -> Result<String> {
    cmd::run(Command::new("kill").args(["-TERM", &a.child.id().to_string()]))?;
    let status = a.child.wait()?;
    let mut rest = String::new();
    a.stderr.read_to_string(&mut rest)?;
    if !status.success() {
        bail!("attacher exited with {status}: {rest}");
    }
    Ok(rest)
}

fn run_loop(bin: &Path, kind: &str, n: u64) -> Result<f64> {
    let exe: PathBuf = bin.join("vmmon-bench-loop");
    let out = Command::new(&exe)
        .args([kind, &n.to_string()])
        .output()
        .with_context(|| format!("running {}", exe.display()))?;
    if !out.status.success() {
        bail!(
            "{} {kind} failed: {}",
            exe.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .with_context(|| format!("bench loop printed {text:?}"))
}

/// The integer just before `marker` in `text`.
fn number_before(text: &str, marker: &str) -> Option<u64> {
    let end = text.find(marker)?;
    let start = text[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    text[start..end].parse().ok()
}

/// The median of `v` (NaN when empty).
pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The most the pipeline may cost a mmap+munmap loop, as a ratio to nothing attached, with
/// the kernel's figures read on every record (the exact-ledger issue's bound).
const TARGET: f64 = 1.25;

fn report(samples: &[[Sample; MODES.len()]], opts: &Options) {
    let col =
        |i: usize, f: fn(&Sample) -> f64| samples.iter().map(|r| f(&r[i])).collect::<Vec<_>>();
    // Ratios are taken within each round (so drifts between rounds cancel), then the median.
    let ratio = |i: usize, f: fn(&Sample) -> f64| {
        median(samples.iter().map(|r| f(&r[i]) / f(&r[0])).collect())
    };
    println!();
    println!(
        "vmmon bench: {} rounds, {} mmap+munmap pairs and {} getpid calls per run, modes interleaved",
        samples.len(),
        opts.pairs,
        opts.getpids
    );
    println!(
        "{:<24} {:>16} {:>8} {:>12} {:>8}",
        "mode", "mmap+munmap ns", "ratio", "getpid ns", "ratio"
    );
    for (i, mode) in MODES.iter().enumerate() {
        println!(
            "{:<24} {:>16.0} {:>7.2}x {:>12.0} {:>7.2}x",
            mode.label(),
            median(col(i, |s| s.mmap_ns)),
            ratio(i, |s| s.mmap_ns),
            median(col(i, |s| s.getpid_ns)),
            ratio(i, |s| s.getpid_ns),
        );
    }
    let received: u64 = samples
        .iter()
        .flat_map(|r| &r[2..])
        .map(|s| s.received)
        .sum();
    let dropped: u64 = samples
        .iter()
        .flat_map(|r| &r[2..])
        .map(|s| s.dropped)
        .sum();
    println!(
        "vmmon received {received} events over {} runs, {dropped} dropped in the kernel",
        samples.len() * (MODES.len() - 2)
    );
    // What vmmon adds above the floor every tracer on these hooks pays, per round.
    for i in 2..MODES.len() {
        let over_floor = median(
            samples
                .iter()
                .map(|r| r[i].mmap_ns / r[1].mmap_ns)
                .collect(),
        );
        println!(
            "{} over the empty-program floor on mmap+munmap: {over_floor:.2}x",
            MODES[i].label()
        );
    }
    let r = ratio(DEFAULT, |s| s.mmap_ns);
    let verdict = if r <= TARGET && dropped == 0 {
        "met"
    } else {
        "NOT met"
    };
    println!(
        "target (vmmon at the default <= {TARGET:.2}x on mmap+munmap, zero drops): {verdict} ({r:.2}x, {dropped} drops)"
    );
}

#[cfg(test)]
mod tests;
