//! A call that stays in the kernel for seconds (an `mlock` whose pages a slow userfaultfd
//! handler fills, `vmmon-patterns longcall`), while another thread keeps making small calls,
//! with the real programs attached and the round robin off. Its mapping is split in `/proc` at
//! once; the ledger shows the kernel's figures at once, says the call is in flight and since
//! when, and within one sweep of a freeze holds `/proc`'s regions; once the call returns it
//! still holds exactly one region for each of `/proc`'s.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use vmmon::bpf::LoadOptions;
use vmmon::clock::monotonic_ns;
use vmmon::source::EventSource as _;
use vmmon::view::process_view;
use vmmon_integration_tests::exact::{Harness, compare, freeze, thaw};

/// The agent's default sweep.
const SWEEP: Duration = Duration::from_secs(1);
/// Within how long of a freeze the regions must equal `/proc`: the 1.5 s (one sweep
/// and a read), with room for a loaded machine.
const REGIONS_WITHIN: Duration = Duration::from_secs(3);

/// SIGSTOP to every thread of `pid`; waits until all but `busy` (a thread inside the call,
/// which cannot stop until it returns) are stopped.
fn freeze_around(pid: u32, busy: u32) {
    // SAFETY: a signal to the test's own child.
    unsafe { libc::kill(pid as i32, libc::SIGSTOP) };
    let start = Instant::now();
    loop {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
        let running = tasks.flatten().any(|t| {
            let tid: u32 = t.file_name().to_string_lossy().parse().unwrap_or(0);
            let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next());
            tid != busy && !matches!(state, Some("T" | "t"))
        });
        if !running {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "pid {pid} did not stop"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn real_ebpf_a_call_in_the_kernel_for_seconds_lags_the_regions_by_one_sweep_at_most() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut h = Harness::start(&LoadOptions::default(), SWEEP);
        h.pump_for(Duration::from_millis(50)).await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmmon-patterns"))
            .arg("longcall")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("start the pattern");
        let pid = child.id();
        let mut go = child.stdin.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let result = async {
            // The ledger settled (exact, the small calls going on) before the call begins.
            h.pump_for(Duration::from_millis(500)).await;
            let at = freeze(&[pid]);
            h.exact_after(&[pid], at, Duration::from_secs(10))
                .await
                .map_err(|e| format!("before the call: {e}"))?;
            thaw(&[pid]);
            let _ = writeln!(go, "go");
            let pump = |h: &mut Harness| h.core.pump(&mut h.pipeline);
            // The mlock begins.
            let started = loop {
                pump(&mut h);
                if let Ok(l) = lines.recv_timeout(Duration::from_millis(10)) {
                    assert!(l.starts_with("locking"), "{l}");
                    break Instant::now();
                }
                assert!(running(&child), "the pattern ended");
            };
            // In flight past a sweep interval, as the view says; the figures are the kernel's.
            let since = loop {
                h.pump_for(Duration::from_millis(20)).await;
                let core = &h.core.core;
                let ledger = core.ledger();
                let view = ledger
                    .process(pid)
                    .zip(ledger.space(pid))
                    .map(|(p, s)| process_view(p, s));
                if let Some(since) = view
                    .and_then(|v| v.in_flight)
                    .and_then(|f| f.since_ns)
                    .filter(|&t| monotonic_ns().saturating_sub(t) > SWEEP.as_nanos() as u64)
                {
                    break since;
                }
                if started.elapsed() > Duration::from_secs(3) {
                    return Err("the call never showed in flight past a sweep".to_string());
                }
            };
            // Still in the kernel, the small calls over: the regions within a sweep.
            let past = Instant::now();
            loop {
                h.pump_for(Duration::from_millis(20)).await;
                if let Ok(l) = lines.try_recv() {
                    return Err(format!("the call returned before the check: {l}"));
                }
                match compare(&h.core.core, pid) {
                    Ok(()) => break,
                    Err(e) if past.elapsed() > REGIONS_WITHIN => {
                        return Err(format!("with the call in flight: {e}"));
                    }
                    Err(_) => {}
                }
            }
            let read_after = past.elapsed();
            // Frozen (here the stop ends the call's wait on the handler, and it is restarted
            // after): the regions and figures at once.
            freeze_around(pid, pid);
            let frozen = Instant::now();
            loop {
                h.pump_for(Duration::from_millis(20)).await;
                match compare(&h.core.core, pid) {
                    Ok(()) => break,
                    Err(e) if frozen.elapsed() > REGIONS_WITHIN => {
                        return Err(format!("frozen with the call in flight: {e}"));
                    }
                    Err(_) => {}
                }
            }
            let took = frozen.elapsed();
            thaw(&[pid]);
            // The call returns (the handler answers the rest): exactly one region each still.
            loop {
                h.pump_for(Duration::from_millis(20)).await;
                if let Ok(l) = lines.try_recv() {
                    assert_eq!(l, "locked");
                    break;
                }
                if frozen.elapsed() > Duration::from_secs(30) {
                    return Err("the call never returned".into());
                }
            }
            let at = freeze(&[pid]);
            h.exact_after(&[pid], at, Duration::from_secs(10))
                .await
                .map_err(|e| format!("after the call returned: {e}"))?;
            thaw(&[pid]);
            Ok((since, read_after, took))
        }
        .await;
        // SAFETY: the pattern's own process group.
        unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        let _ = child.wait();
        match result {
            Ok((since, read_after, took)) => eprintln!(
                "in flight since {since} ns; regions equal /proc {:.2} s past a sweep in flight, {:.2} s after the freeze",
                read_after.as_secs_f64(),
                took.as_secs_f64()
            ),
            Err(e) => panic!("{e}"),
        }
        let kernel = h.pipeline.counters();
        assert_eq!(kernel.dropped(), 0, "the kernel dropped events: {kernel:?}");
    });
}

/// Whether the child still runs.
fn running(child: &std::process::Child) -> bool {
    std::fs::metadata(format!("/proc/{}", child.id())).is_ok()
}
