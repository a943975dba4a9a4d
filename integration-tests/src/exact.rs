//! Holding the agent's core to the kernel while a workload of the project's own runs: the
//! real programs feed a core whose round-robin resync is off, so that only the self-check
//! (the figures on every record, the sweeps, the targeted reads they ask for) keeps it exact.
//! At each pause every workload process is compared with `/proc`: its mappings one by one,
//! and the figures users see with `VmSize`, `VmPeak` and the number of mappings.

use crate::collect::require_root;
use std::time::{Duration, Instant};
use vmmon::agent::{Core, CoreOptions, DrivenCore};
use vmmon::bpf::{LoadOptions, Pipeline};
use vmmon::clock::monotonic_ns;
use vmmon::ledger::Verdict;
use vmmon::procfs::parse_maps;
use vmmon::view::process_view;

/// The real pipeline and a core fed by it.
pub struct Harness {
    pub core: DrivenCore,
    pub pipeline: Pipeline,
}

impl Harness {
    /// Loads the programs (`load`) and starts a core with the round robin off and a sweep
    /// every `sweep`. Call inside a tokio runtime.
    pub fn start(load: &LoadOptions, sweep: Duration) -> Self {
        Self::start_with(load, sweep, 0)
    }

    /// As [`Harness::start`], with `resyncs_per_second` of the round robin (the agent's
    /// default is 20).
    pub fn start_with(load: &LoadOptions, sweep: Duration, resyncs_per_second: u32) -> Self {
        require_root();
        let pipeline = Pipeline::load(load)
            .unwrap_or_else(|e| panic!("loading the real eBPF programs failed: {e}"));
        assert!(
            pipeline.layout().has_figures(),
            "the kernel's BTF lacks {:?}",
            pipeline.layout().missing
        );
        let core = DrivenCore::start(CoreOptions {
            resyncs_per_second,
            sweep_interval: sweep,
            growth_window_s: 60,
            exits_kept: 64,
            programs_attached: pipeline.programs_attached() as u64,
            figures: Ok(()),
            call_sites: vmmon::config::SiteCapture::from_min_bytes(load.site_min_bytes),
            tally: vmmon::view::TallyOptions {
                top_k: 20,
                max_groups: 50,
                retention_s: 600.0,
            },
        })
        .expect("start the core");
        Self { core, pipeline }
    }

    /// Drains events, folds reads and runs sweeps for `d`.
    pub async fn pump_for(&mut self, d: Duration) {
        let until = Instant::now() + d;
        loop {
            self.core.pump(&mut self.pipeline);
            if Instant::now() >= until {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Waits, up to `limit`, until each of `pids` has been checked against figures read
    /// after `since_ns` and found exact, and equals `/proc`; the differences found last
    /// otherwise.
    pub async fn exact_after(
        &mut self,
        pids: &[u32],
        since_ns: u64,
        limit: Duration,
    ) -> Result<(), String> {
        let start = Instant::now();
        loop {
            self.core.pump(&mut self.pipeline);
            let core = &self.core.core;
            let waiting: Vec<String> = pids
                .iter()
                .filter_map(|&pid| match checked_since(core, pid, since_ns) {
                    Ok(()) => compare(core, pid).err(),
                    Err(e) => Some(e),
                })
                .collect();
            if waiting.is_empty() {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(format!(
                    "not exact {:?} after the pause:\n{}\nledger counters: {:?}",
                    limit,
                    waiting.join("\n"),
                    core.ledger().counters()
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Whether `pid`'s ledger was judged exact by figures read after `since_ns`.
fn checked_since(core: &Core, pid: u32, since_ns: u64) -> Result<(), String> {
    let ledger = core.ledger();
    let p = ledger
        .process(pid)
        .ok_or_else(|| format!("pid {pid} is not in the ledger"))?;
    if !ledger.is_filled(pid) {
        return Err(format!("pid {pid} still waits for its first read"));
    }
    let at = p.kernel.map(|k| k.at_ns);
    if at.is_none_or(|t| t < since_ns) || p.verdict != Some(Verdict::Exact) {
        return Err(format!(
            "pid {pid}: last verdict {:?} on figures of {:?} ns (pause at {since_ns})",
            p.verdict, at
        ));
    }
    Ok(())
}

/// The kernel's figures for `pid`: `VmSize` and `VmPeak` in bytes, and its mappings (the
/// lines of its maps but `[vsyscall]`).
pub fn kernel_figures(pid: u32) -> Result<(u64, u64, usize), String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|v| v * 1024)
            .ok_or_else(|| format!("no {key} in /proc/{pid}/status"))
    };
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("reading /proc/{pid}/maps: {e}"))?;
    let mappings = maps.lines().filter(|l| !l.ends_with("[vsyscall]")).count();
    Ok((kb("VmSize:")?, kb("VmPeak:")?, mappings))
}

/// Compares `pid`'s ledger with `/proc/PID/maps`, mapping by mapping (ranges and
/// permissions), and the figures of its view (what the API serves) with the kernel's.
pub fn compare(core: &Core, pid: u32) -> Result<(), String> {
    let ledger = core.ledger();
    let (p, space) = ledger
        .process(pid)
        .zip(ledger.space(pid))
        .ok_or_else(|| format!("pid {pid} is not in the ledger"))?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("reading /proc/{pid}/maps: {e}"))?;
    let (regions, errors) = parse_maps(&text);
    if !errors.is_empty() {
        return Err(format!("unparsable maps lines: {errors:?}"));
    }
    let kernel: Vec<(u64, u64, String)> = regions
        .iter()
        .map(|r| (r.start, r.end, r.perms.to_string()))
        .collect();
    let mine: Vec<(u64, u64, String)> = space
        .regions()
        .map(|r| (r.start, r.end, r.perms.to_string()))
        .collect();
    if mine != kernel {
        let first = mine
            .iter()
            .zip(&kernel)
            .position(|(a, b)| a != b)
            .unwrap_or(mine.len().min(kernel.len()));
        let around = |v: &[(u64, u64, String)]| {
            v[first.saturating_sub(2)..(first + 3).min(v.len())]
                .iter()
                .map(|(s, e, p)| format!("    {s:x}-{e:x} {p}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        return Err(format!(
            "pid {pid}: mapping {first} differs ({} in the ledger, {} in the kernel)\n  ledger:\n{}\n  /proc/{pid}/maps:\n{}",
            mine.len(),
            kernel.len(),
            around(&mine),
            around(&kernel)
        ));
    }
    let view = process_view(p, space);
    let (size, peak, mappings) = kernel_figures(pid)?;
    let seen = (
        view.virtual_bytes,
        view.peak_virtual_bytes,
        view.mapping_count,
    );
    if seen != (size, peak, mappings) {
        return Err(format!(
            "pid {pid}: the view says (virtual, peak, mappings) {seen:?}, the kernel {:?}",
            (size, peak, mappings)
        ));
    }
    Ok(())
}

/// Stops `pids` with SIGSTOP and waits until each is stopped (or gone); returns the
/// `CLOCK_MONOTONIC` ns after which all were.
pub fn freeze(pids: &[u32]) -> u64 {
    for &pid in pids {
        // SAFETY: a signal to a process of the test's own.
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    }
    let start = Instant::now();
    for &pid in pids {
        while !stopped_or_gone(pid) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "pid {pid} did not stop"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    monotonic_ns()
}

/// As [`freeze`], but waits at most `limit` for every thread to stop: a thread inside a long
/// call cannot stop until it returns, and is left running.
pub fn freeze_within(pids: &[u32], limit: Duration) -> u64 {
    for &pid in pids {
        // SAFETY: a signal to a process of the test's own.
        unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    }
    let start = Instant::now();
    while start.elapsed() < limit && !pids.iter().all(|&p| stopped_or_gone(p)) {
        std::thread::sleep(Duration::from_millis(2));
    }
    monotonic_ns()
}

/// Lets `pids` run again.
pub fn thaw(pids: &[u32]) {
    for &pid in pids {
        // SAFETY: a signal to a process of the test's own.
        unsafe { libc::kill(pid as i32, libc::SIGCONT) };
    }
}

/// Whether every thread of `pid` is stopped, or the process is gone.
fn stopped_or_gone(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return true;
    };
    tasks.flatten().all(|t| {
        std::fs::read_to_string(t.path().join("stat")).map_or(true, |s| {
            s.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_none_or(|state| matches!(state, "T" | "t" | "Z" | "X"))
        })
    })
}

/// The pids of `root` and its descendants, as the kernel lists them now.
pub fn family(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = vmmon::procfs::list_pids()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let (_, rest) = stat.rsplit_once(')')?;
            let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(
            parents
                .iter()
                .filter(|&&(_, pp)| pp == parent)
                .map(|&(p, _)| p),
        );
        i += 1;
    }
    out.sort_unstable();
    out.dedup();
    out
}
