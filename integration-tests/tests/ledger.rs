//! The ledger against the kernel: a randomized workload of the project's own (threads, a
//! forked child, an exec'd child; thousands of calls) runs with the real programs attached and
//! the round-robin resync off: the events and the self-check alone keep the ledger. At every
//! pause each of its processes must equal `/proc/PID/maps` mapping by mapping, and the
//! figures users see must be `VmSize`, `VmPeak` and the kernel's count of mappings.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vmmon::bpf::LoadOptions;
use vmmon::clock::monotonic_ns;
use vmmon::ledger::Cause;
use vmmon::source::EventSource;
use vmmon_integration_tests::exact::Harness;

const LIMIT: Duration = Duration::from_secs(180);
/// How long a paused process may take to be found exact (a sweep, then perhaps a targeted
/// read and another sweep).
const EXACT_WITHIN: Duration = Duration::from_secs(20);

fn run_churn(seed: u64, rounds: u32, ops: u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut h = Harness::start(&LoadOptions::default(), Duration::from_millis(200));
        h.pump_for(Duration::from_millis(50)).await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmmon-churn"))
            .args([seed.to_string(), rounds.to_string(), ops.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let start = Instant::now();
        let mut pauses = 0;
        let mut checked = 0;
        let calls = loop {
            assert!(start.elapsed() < LIMIT, "workload did not finish within {LIMIT:?}");
            h.core.pump(&mut h.pipeline);
            let Ok(line) = rx.recv_timeout(Duration::from_millis(10)) else {
                continue;
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.first().copied() {
                Some("pause") => {
                    let pids: Vec<u32> = words[2..].iter().map(|p| p.parse().unwrap()).collect();
                    let paused = monotonic_ns();
                    if let Err(e) = h.exact_after(&pids, paused, EXACT_WITHIN).await {
                        let _ = child.kill();
                        let _ = child.wait();
                        panic!("at pause {}: {e}", words[1]);
                    }
                    checked += pids.len();
                    pauses += 1;
                    writeln!(stdin, "go").unwrap();
                }
                Some("done") => break words[1].parse::<u64>().unwrap(),
                _ => panic!("unexpected workload output {line:?}"),
            }
        };
        let status = child.wait().unwrap();
        assert!(status.success(), "workload failed: {status:?}");
        assert_eq!(pauses, rounds);
        assert!(checked >= 3 * rounds as usize - 2, "checked only {checked} ledgers");
        assert!(calls >= 2 * u64::from(rounds) * u64::from(ops), "only {calls} calls");
        let kernel = h.pipeline.counters();
        assert_eq!(kernel.dropped(), 0, "the kernel dropped events: {kernel:?}");
        let c = h.core.core.ledger().counters();
        // The events alone get sizes and permissions right: whatever a read had to correct
        // was only how the kernel split the same memory into mappings.
        let wrong: Vec<_> = c
            .corrections
            .iter()
            .filter(|&(&cause, &n)| cause != Cause::Layout && n > 0)
            .collect();
        assert!(wrong.is_empty(), "reads corrected more than the layout: {c:?}");
        eprintln!(
            "{calls} calls by the workload's main process; {checked} ledgers checked at {pauses} pauses; ledger counters: {c:?}"
        );
    });
}

#[test]
fn real_ebpf_ledger_equals_proc_maps_at_every_pause() {
    run_churn(0x5eed_0001, 5, 300);
}

#[test]
fn real_ebpf_ledger_equals_proc_maps_with_another_seed() {
    run_churn(0xfeed_beef, 4, 250);
}
