//! A flood through a tiny ring buffer: the kernel drops records (counted), every process that
//! lost some says so in the figures of its next record or sweep, and the targeted reads that
//! follow make each exact again within a bounded time, with the round-robin resync off.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vmmon::bpf::LoadOptions;
use vmmon::clock::monotonic_ns;
use vmmon::ledger::Mismatch;
use vmmon::source::EventSource;
use vmmon_integration_tests::exact::Harness;

/// How long after the flood every process may take to be exact again: a sweep finds the lost
/// records (every 200 ms here), a targeted read per process, then a sweep confirms.
const EXACT_WITHIN: Duration = Duration::from_secs(30);
const WORKLOADS: u64 = 3;

struct Workload {
    child: Child,
    stdin: ChildStdin,
}

#[test]
fn real_ebpf_after_a_flood_through_a_tiny_ring_every_process_is_exact_again() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let load = LoadOptions {
            ring_bytes: 16 * 1024,
            ..LoadOptions::default()
        };
        let mut h = Harness::start(&load, Duration::from_millis(200));
        h.pump_for(Duration::from_millis(50)).await;
        let (tx, rx) = mpsc::channel();
        let mut workloads: Vec<Workload> = (0..WORKLOADS)
            .map(|i| {
                let mut child = Command::new(env!("CARGO_BIN_EXE_vmmon-churn"))
                    .args([(0xf100d + i).to_string(), "2".into(), "2000".into()])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap();
                let stdout = BufReader::new(child.stdout.take().unwrap());
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for line in stdout.lines() {
                        if tx.send((i as usize, line.unwrap())).is_err() {
                            break;
                        }
                    }
                });
                let stdin = child.stdin.take().unwrap();
                Workload { child, stdin }
            })
            .collect();
        // The flood: nothing drains the ring while every workload makes two rounds of calls
        // (the second with its forked and exec'd children) and pauses (its processes then
        // wait, making no calls).
        let (mut pids, mut paused) = (Vec::new(), 0);
        let start = Instant::now();
        while paused < WORKLOADS {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the workloads did not pause"
            );
            let Ok((i, line)) = rx.recv_timeout(Duration::from_secs(1)) else {
                continue;
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.first(), Some(&"pause"), "unexpected output {line:?}");
            if words[1] == "1" {
                writeln!(workloads[i].stdin, "go").unwrap();
            } else {
                pids.extend(words[2..].iter().map(|p| p.parse::<u32>().unwrap()));
                paused += 1;
            }
        }
        let after = monotonic_ns();
        let dropped = h.pipeline.counters().dropped();
        let all = pids;
        assert_eq!(
            all.len(),
            3 * WORKLOADS as usize,
            "each workload has three processes"
        );
        let exact = h.exact_after(&all, after, EXACT_WITHIN).await;
        for w in &mut workloads {
            let _ = w.stdin.write_all(b"stop\n");
            let _ = w.child.kill();
            let _ = w.child.wait();
        }
        assert!(
            dropped > 0,
            "the flood did not overflow the ring: {:?}",
            h.pipeline.counters()
        );
        if let Err(e) = exact {
            panic!("after the flood ({dropped} records dropped): {e}");
        }
        let c = h.core.core.ledger().counters();
        assert!(
            c.checks
                .mismatches
                .get(&Mismatch::Lost)
                .copied()
                .unwrap_or(0)
                > 0,
            "no check noticed the lost records: {c:?}"
        );
        eprintln!(
            "{dropped} records dropped; {} processes exact again; ledger counters: {c:?}",
            all.len()
        );
    });
}
