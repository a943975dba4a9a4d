//! The ledger against the kernel: a randomized workload of the project's own (threads, a
//! forked child, an exec'd child; thousands of calls) runs with the real programs attached and
//! the ledger fed only by events (periodic resyncs off). At every pause the ledger of each of
//! its processes must equal `/proc/PID/maps`: the same ranges, permissions and size.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vmmon::agent::{Core, CoreOptions, Local};
use vmmon::bpf::{LoadOptions, Pipeline};
use vmmon::ledger::{AddressSpace, diff::differences};
use vmmon::procfs::parse_maps;
use vmmon::source::EventSource;
use vmmon_integration_tests::collect::require_root;

const LIMIT: Duration = Duration::from_secs(180);

fn compare(core: &Core, pid: u32) -> Result<u64, String> {
    let ledger = core
        .ledger()
        .space(pid)
        .ok_or_else(|| format!("pid {pid} is not in the ledger"))?;
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .map_err(|e| format!("reading /proc/{pid}/maps: {e}"))?;
    let (regions, errors) = parse_maps(&text);
    assert!(errors.is_empty(), "unparsable maps lines: {errors:?}");
    let kernel = AddressSpace::from_regions(regions);
    let (a, b) = (ledger.coalesced(), kernel.coalesced());
    let diffs = differences(&a, &b);
    if !diffs.is_empty() {
        let lines: Vec<String> = diffs
            .iter()
            .map(|(s, e, d)| format!("  {s:x}-{e:x} {d:?}"))
            .collect();
        let mine: Vec<String> = ledger
            .regions()
            .map(|r| {
                format!(
                    "  {:x}-{:x} {} {:?} {:?}",
                    r.start, r.end, r.perms, r.kind, r.origin
                )
            })
            .collect();
        return Err(format!(
            "pid {pid}: ledger differs from /proc/{pid}/maps:\n{}\n/proc/{pid}/maps:\n{text}\nledger:\n{}\ncounters: {:?}",
            lines.join("\n"),
            mine.join("\n"),
            core.ledger().counters()
        ));
    }
    let (lv, kv) = (ledger.totals().virtual_bytes, kernel.totals().virtual_bytes);
    if lv != kv {
        return Err(format!(
            "pid {pid}: virtual size {lv} in the ledger, {kv} in the kernel"
        ));
    }
    Ok(kv)
}

async fn settle(core: &mut Local, pipeline: &mut Pipeline) {
    // The workload is paused: every event it made is in the ring by now; a few drains take
    // them all in.
    for _ in 0..5 {
        core.pump(pipeline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn run_churn(seed: u64, rounds: u32, ops: u32) {
    require_root();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut pipeline = Pipeline::load(&LoadOptions::default())
            .unwrap_or_else(|e| panic!("loading the real eBPF programs failed: {e}"));
        let mut core = Local::start(CoreOptions {
            resyncs_per_second: 0,
            growth_window_s: 60,
            programs_attached: 0,
        })
        .unwrap();
        settle(&mut core, &mut pipeline).await;
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
            core.pump(&mut pipeline);
            let Ok(line) = rx.recv_timeout(Duration::from_millis(10)) else {
                continue;
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.first().copied() {
                Some("pause") => {
                    let pids: Vec<u32> = words[2..].iter().map(|p| p.parse().unwrap()).collect();
                    // Wait for the condition, not a time: each paused process's first /proc
                    // read (after its exec or fork) has been folded in.
                    let waited = Instant::now();
                    while !pids.iter().all(|&p| core.core.ledger().is_filled(p)) {
                        assert!(waited.elapsed() < Duration::from_secs(30), "pids {pids:?} never filled");
                        core.pump(&mut pipeline);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    settle(&mut core, &mut pipeline).await;
                    for pid in &words[2..] {
                        let pid: u32 = pid.parse().unwrap();
                        // A second /proc read can happen (a fork's and an exec's request both
                        // land after the exec); one that had to correct the ledger would hide
                        // exactly what this test looks for.
                        let corrected = core.core.ledger().process(pid).map_or(0, |p| p.corrected);
                        assert_eq!(corrected, 0, "a /proc read had to correct pid {pid}'s ledger");
                        if let Err(e) = compare(&core.core, pid) {
                            let _ = child.kill();
                            let _ = child.wait();
                            panic!("at pause {}: {e}", words[1]);
                        }
                        checked += 1;
                    }
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
        let kernel = pipeline.counters();
        assert_eq!(kernel.dropped(), 0, "the kernel dropped events: {kernel:?}");
        let c = core.core.ledger().counters();
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
