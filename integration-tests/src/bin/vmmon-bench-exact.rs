//! `vmmon-bench-exact SECONDS DIR`: how exact the self-check alone keeps the ledger under a
//! workload nobody wrote for it. Runs `cargo build` of the workspace at `DIR` (into a fresh
//! target directory) for up to SECONDS with the real programs attached and the round-robin
//! resync off, freezes the whole build with SIGSTOP at random instants, and compares every
//! process of it with `/proc` (mappings, `VmSize`, `VmPeak`, VMA count): once right after the
//! records already in the ring are applied, and again after up to 2 s of repairs. Prints one
//! `key value` line per figure.

use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vmmon::bpf::LoadOptions;
use vmmon::ledger::Mismatch;
use vmmon::source::EventSource as _;
use vmmon_integration_tests::exact::{Harness, compare, family, freeze, thaw};

/// How long a frozen process may take to be repaired, for the second figure.
const REPAIR_WITHIN: Duration = Duration::from_secs(2);

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(seconds), Some(dir)) = (args.next().and_then(|s| s.parse::<u64>().ok()), args.next())
    else {
        eprintln!("usage: vmmon-bench-exact SECONDS WORKSPACE-DIR");
        std::process::exit(2);
    };
    let target = std::env::temp_dir().join("vmmon-bench-exact-target");
    let _ = std::fs::remove_dir_all(&target);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let mut h = Harness::start(&LoadOptions::default(), Duration::from_secs(1));
        h.pump_for(Duration::from_secs(2)).await;
        let start = Instant::now();
        let counters_before = h.core.core.ledger().counters().clone();
        let mut build = Command::new("cargo")
            .args(["build", "--offline", "--workspace"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", &target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start cargo build");
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
            freeze(&pids);
            // What was in flight at the freeze has left its record in the ring by now.
            h.pump_for(Duration::from_millis(30)).await;
            let now: Vec<bool> = pids
                .iter()
                .map(|&p| compare(&h.core.core, p).is_ok())
                .collect();
            let until = Instant::now() + REPAIR_WITHIN;
            let mut later = now.clone();
            while later.iter().any(|ok| !ok) && Instant::now() < until {
                h.pump_for(Duration::from_millis(20)).await;
                for (ok, &p) in later.iter_mut().zip(&pids) {
                    *ok = *ok || compare(&h.core.core, p).is_ok();
                }
            }
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
        let _ = std::fs::remove_dir_all(&target);
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

/// Whether `pid` is a live process with an address space (not a zombie, not a kernel thread).
fn live(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/maps")).is_ok_and(|m| !m.is_empty())
}
