//! `vmmon-bench-exact SECONDS DIR`: how exact the self-check alone keeps the ledger under a
//! workload nobody wrote for it. Runs `cargo build` of the workspace at `DIR` (into a fresh
//! target directory) for up to SECONDS with the real programs attached and the round-robin
//! resync off, freezes the whole build with SIGSTOP at random instants, and compares every
//! process of it with `/proc` (mappings, `VmSize`, `VmPeak`, VMA count): once right after the
//! records already in the ring are applied, and again after up to 2 s of repairs. Prints one
//! `key value` line per figure.
//!
//! `vmmon-bench-exact SECONDS --stress STRESSOR`: the same with `stress-ng --STRESSOR 1`
//! (`mlock`, `mmapfork`, `madvise+mlock` for two at once, `stack`) and the agent's defaults
//! (round robin on): a freeze may leave a thread inside a long call running; the second figure
//! is taken 1.5 s after the freeze (`exact_within_2s` then means within 1.5 s).

use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vmmon::bpf::LoadOptions;
use vmmon::ledger::Mismatch;
use vmmon::source::EventSource as _;
use vmmon_integration_tests::exact::{Harness, compare, family, freeze, freeze_within, thaw};

/// How long a frozen process may take to be repaired, for the second figure.
const REPAIR_WITHIN: Duration = Duration::from_secs(2);
/// For a stress-ng workload: the pause after the freeze before the second figure.
const STRESS_PAUSE: Duration = Duration::from_millis(1500);

/// What runs, and how it is judged.
struct Workload {
    command: Command,
    /// The round robin's rate (0: off).
    resyncs: u32,
    /// Within how long of the freeze the second figure is taken; whether every thread must
    /// stop first.
    within: Duration,
    must_stop: bool,
}

/// The workload the arguments name.
fn workload(seconds: u64, what: &str, rest: Option<String>) -> Workload {
    if what != "--stress" {
        let target = std::env::temp_dir().join("vmmon-bench-exact-target");
        let _ = std::fs::remove_dir_all(&target);
        let mut command = Command::new("cargo");
        command
            .args(["build", "--offline", "--workspace"])
            .current_dir(what)
            .env("CARGO_TARGET_DIR", &target);
        return Workload {
            command,
            resyncs: 0,
            within: REPAIR_WITHIN,
            must_stop: true,
        };
    }
    let mut command = Command::new("stress-ng");
    for stressor in rest.unwrap_or_default().split('+') {
        command.args([format!("--{stressor}"), "1".into()]);
    }
    command.args(["--timeout", &format!("{}s", seconds + 5)]);
    Workload {
        command,
        resyncs: 20,
        within: STRESS_PAUSE,
        must_stop: false,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(seconds), Some(what)) =
        (args.next().and_then(|s| s.parse::<u64>().ok()), args.next())
    else {
        eprintln!("usage: vmmon-bench-exact SECONDS WORKSPACE-DIR | SECONDS --stress STRESSOR");
        std::process::exit(2);
    };
    let mut w = workload(seconds, &what, args.next());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut h = Harness::start_with(&LoadOptions::default(), Duration::from_secs(1), w.resyncs);
        h.pump_for(Duration::from_secs(2)).await;
        let start = Instant::now();
        let counters_before = h.core.core.ledger().counters().clone();
        let mut build = w
            .command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the workload");
        let pgid = build.id();
        let mut seed = u64::from(pgid).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let (mut freezes, mut seen, mut exact_now, mut exact_later) = (0u64, 0u64, 0u64, 0u64);
        let mut wrong = Vec::new();
        while start.elapsed() < Duration::from_secs(seconds) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            h.pump_for(Duration::from_millis(300 + seed % 1200)).await;
            if build.try_wait().ok().flatten().is_some() {
                break;
            }
            // SAFETY: the build's own process group.
            unsafe { libc::kill(-(pgid as i32), libc::SIGSTOP) };
            let pids: Vec<u32> = family(pgid).into_iter().filter(|&p| live(p)).collect();
            if w.must_stop {
                freeze(&pids);
            } else {
                freeze_within(&pids, Duration::from_millis(100));
            }
            // What was in flight at the freeze has left its record in the ring by now.
            h.pump_for(Duration::from_millis(30)).await;
            let now: Vec<bool> = pids
                .iter()
                .map(|&p| compare(&h.core.core, p).is_ok())
                .collect();
            let later = later(&mut h, &pids, &now, &w).await;
            for (&ok, &p) in later.iter().zip(&pids) {
                if !ok && wrong.len() < 5 {
                    wrong.push(compare(&h.core.core, p).err().unwrap_or_default());
                }
            }
            freezes += 1;
            seen += pids.len() as u64;
            exact_now += now.iter().filter(|&&ok| ok).count() as u64;
            exact_later += later.iter().filter(|&&ok| ok).count() as u64;
            // SAFETY: as above.
            unsafe { libc::kill(-(pgid as i32), libc::SIGCONT) };
            thaw(&pids);
        }
        let elapsed = start.elapsed().as_secs_f64();
        // SAFETY: as above.
        unsafe { libc::kill(-(pgid as i32), libc::SIGKILL) };
        let _ = build.wait();
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join("vmmon-bench-exact-target"));
        let c = h.core.core.ledger().counters();
        let delta = |a: u64, b: u64| a.saturating_sub(b);
        let mismatches: u64 = Mismatch::ALL
            .iter()
            .map(|m| {
                delta(
                    c.checks.mismatches.get(m).copied().unwrap_or(0),
                    counters_before
                        .checks
                        .mismatches
                        .get(m)
                        .copied()
                        .unwrap_or(0),
                )
            })
            .sum();
        println!("seconds {elapsed:.1}");
        println!("freezes {freezes}");
        println!("processes_seen {seen}");
        println!("exact_at_freeze {exact_now}");
        println!("exact_within_2s {exact_later}");
        println!("mismatches {mismatches}");
        for m in Mismatch::ALL {
            let n = delta(
                c.checks.mismatches.get(&m).copied().unwrap_or(0),
                counters_before
                    .checks
                    .mismatches
                    .get(&m)
                    .copied()
                    .unwrap_or(0),
            );
            println!("mismatches_{} {n}", m.name());
        }
        println!(
            "checks_exact {}",
            delta(c.checks.exact, counters_before.checks.exact)
        );
        println!(
            "checks_unchecked {}",
            delta(c.checks.unchecked, counters_before.checks.unchecked)
        );
        println!(
            "targeted_resyncs {}",
            delta(c.targeted_resyncs, counters_before.targeted_resyncs)
        );
        println!(
            "targeted_exact {}",
            delta(c.targeted_exact, counters_before.targeted_exact)
        );
        println!("dropped {}", h.pipeline.counters().dropped());
        for w in wrong {
            eprintln!("not exact within 2 s: {w}");
        }
    });
}

/// The second figure: for the build, whether each process was exact at some instant within
/// [`REPAIR_WITHIN`]; for stress-ng, whether it is exact [`STRESS_PAUSE`] after the freeze.
async fn later(h: &mut Harness, pids: &[u32], now: &[bool], w: &Workload) -> Vec<bool> {
    let until = Instant::now() + w.within;
    if !w.must_stop {
        h.pump_for(w.within).await;
        return pids
            .iter()
            .map(|&p| compare(&h.core.core, p).is_ok())
            .collect();
    }
    let mut later = now.to_vec();
    while later.iter().any(|ok| !ok) && Instant::now() < until {
        h.pump_for(Duration::from_millis(20)).await;
        for (ok, &p) in later.iter_mut().zip(pids) {
            *ok = *ok || compare(&h.core.core, p).is_ok();
        }
    }
    later
}

/// Whether `pid` is a live process with an address space (not a zombie, not a kernel thread).
fn live(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/maps")).is_ok_and(|m| !m.is_empty())
}
