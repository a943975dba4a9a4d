//! The self-check against workloads of the project's own, each a pattern no single event shows
//! in full (heap holes, calls in flight, System V shared memory, stack growth, flag splits,
//! exec). The round-robin resync is off: the figures on the records, the sweeps and the
//! targeted reads they ask for must keep every process exact. The workload is frozen with
//! SIGSTOP at random instants; each time, its processes must equal `/proc` mapping by mapping,
//! and the figures users see must be the kernel's `VmSize`, `VmPeak` and count of mappings.

use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::time::Duration;
use vmmon::bpf::LoadOptions;
use vmmon::source::EventSource;
use vmmon_integration_tests::exact::{Harness, family, freeze, thaw};

/// How long a frozen process may take to be found exact: a sweep (every 200 ms here), a
/// targeted read, the next sweep.
const EXACT_WITHIN: Duration = Duration::from_secs(20);

/// Runs pattern `name` and freezes it `freezes` times at random instants.
fn run_pattern(name: &str, freezes: u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut h = Harness::start(&LoadOptions::default(), Duration::from_millis(200));
        h.pump_for(Duration::from_millis(50)).await;
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmmon-patterns"))
            .arg(name)
            .process_group(0)
            .spawn()
            .expect("start the pattern");
        let pid = child.id();
        let mut seed = u64::from(pid).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let result = async {
            for i in 0..freezes {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                h.pump_for(Duration::from_millis(150 + seed % 400)).await;
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("the pattern ended: {status:?}"));
                }
                let pids = family(pid);
                let at = freeze(&pids);
                let exact = h.exact_after(&pids, at, EXACT_WITHIN).await;
                thaw(&pids);
                exact.map_err(|e| format!("at freeze {i} of {pids:?}: {e}"))?;
            }
            Ok(())
        }
        .await;
        // SAFETY: the pattern's own process group.
        unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
        let _ = child.wait();
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
        let kernel = h.pipeline.counters();
        assert_eq!(kernel.dropped(), 0, "the kernel dropped events: {kernel:?}");
        eprintln!(
            "{name}: {freezes} freezes exact; ledger counters: {:?}",
            h.core.core.ledger().counters()
        );
    });
}

#[test]
fn real_ebpf_heap_holes_then_brk_up_and_down_stay_exact() {
    run_pattern("heap", 8);
}

#[test]
fn real_ebpf_populating_children_stay_exact() {
    run_pattern("populate", 8);
}

#[test]
fn real_ebpf_system_v_shared_memory_stays_exact() {
    run_pattern("shm", 8);
}

#[test]
fn real_ebpf_a_growing_stack_is_caught_by_the_sweep() {
    run_pattern("stack", 8);
}

#[test]
fn real_ebpf_madvise_mlock_and_name_splits_stay_exact() {
    run_pattern("splits", 8);
}

#[test]
fn real_ebpf_exec_after_exec_stays_exact() {
    run_pattern("exec", 8);
}
