//! The self-check's part of `cargo xtask bench`: how exact the ledger stays, with the
//! round-robin resync off, while `cargo build` of this workspace runs (a workload nobody wrote
//! for vmmon: cargo, rustc, build scripts, linkers). `vmmon-bench-exact` freezes the build at
//! random instants and compares each of its processes with `/proc`.

use anyhow::{Context, Result, bail};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// How long the build runs (a fresh build of the workspace takes longer: it is cut off).
const SECONDS: u64 = 90;

pub struct Figures(HashMap<String, f64>);

impl Figures {
    fn get(&self, key: &str) -> f64 {
        self.0.get(key).copied().unwrap_or(0.0)
    }
}

/// The stress-ng workloads of the long-calls issue (`+` runs two stressors at once), and how
/// long each runs.
const STRESSORS: [&str; 4] = ["mlock", "mmapfork", "madvise+mlock", "stack"];
const STRESS_SECONDS: u64 = 30;

/// Each stress-ng workload with the agent's defaults, frozen at random instants and compared
/// 1.5 s after each freeze; reported as it goes.
pub fn run_stress(bin: &Path) -> Result<()> {
    println!();
    println!(
        "stress-ng workloads (defaults: round robin on, sweep 1 s), exact 1.5 s after each freeze:"
    );
    for stressor in STRESSORS {
        let out = Command::new(bin.join("vmmon-bench-exact"))
            .args([&STRESS_SECONDS.to_string(), "--stress", stressor])
            .output()
            .context("running vmmon-bench-exact --stress (cargo xtask setup installs stress-ng)")?;
        if !out.status.success() {
            bail!(
                "vmmon-bench-exact --stress {stressor} failed: {}",
                out.status
            );
        }
        let f = Figures(parse(&String::from_utf8_lossy(&out.stdout)));
        println!(
            "  {stressor:<14} {:>4} of {:<4} processes exact ({} freezes; at the freeze {}); kernel drops {}",
            f.get("exact_within_2s"),
            f.get("processes_seen"),
            f.get("freezes"),
            f.get("exact_at_freeze"),
            f.get("dropped")
        );
    }
    Ok(())
}

pub fn run(bin: &Path, workspace: &Path) -> Result<Figures> {
    eprintln!("xtask: bench: the self-check during `cargo build` ({SECONDS} s, round robin off)");
    let out = Command::new(bin.join("vmmon-bench-exact"))
        .arg(SECONDS.to_string())
        .arg(workspace)
        .output()
        .context("running vmmon-bench-exact")?;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        bail!("vmmon-bench-exact failed: {}", out.status);
    }
    Ok(Figures(parse(&String::from_utf8_lossy(&out.stdout))))
}

/// `key value` lines.
fn parse(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect()
}

pub fn report(f: &Figures) {
    let seen = f.get("processes_seen").max(1.0);
    let secs = f.get("seconds").max(1.0);
    println!();
    println!(
        "self-check during cargo build ({:.0} s, round robin off, {} freezes, {} process snapshots)",
        secs,
        f.get("freezes"),
        f.get("processes_seen")
    );
    println!(
        "exact at the freeze: {:.1}% ({} of {}); within 2 s: {:.1}%",
        f.get("exact_at_freeze") * 100.0 / seen,
        f.get("exact_at_freeze"),
        f.get("processes_seen"),
        f.get("exact_within_2s") * 100.0 / seen
    );
    println!(
        "mismatches detected: {} (grown {}, shrunk {}, layout {}, lost {}); checks: {} exact, {} unchecked",
        f.get("mismatches"),
        f.get("mismatches_grown"),
        f.get("mismatches_shrunk"),
        f.get("mismatches_layout"),
        f.get("mismatches_lost"),
        f.get("checks_exact"),
        f.get("checks_unchecked")
    );
    println!(
        "targeted resyncs: {} ({:.2}/s; {} found nothing to correct); kernel drops: {}",
        f.get("targeted_resyncs"),
        f.get("targeted_resyncs") / secs,
        f.get("targeted_exact"),
        f.get("dropped")
    );
}

#[cfg(test)]
mod tests;
