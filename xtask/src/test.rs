//! `cargo xtask test`: every test, the ones that load the real eBPF programs included.

use crate::cmd::{self, workspace_root};
use crate::setup;
use anyhow::{Result, bail};
use std::process::Command;

#[derive(clap::Args)]
pub struct Options {
    /// Extra arguments for the test runner (e.g. a test name filter); with any, the lints
    /// (fmt, clippy) that otherwise follow the tests are skipped.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(opts: Options) -> Result<()> {
    setup::run_for_tests()?;
    if !cmd::is_root() {
        bail!(
            "the test suite loads real eBPF programs and must run as root: run `sudo cargo xtask test`"
        );
    }
    let root = workspace_root();
    // Tests first, so their summary is printed even when a lint then fails.
    let tests = cmd::status(
        Command::new("cargo")
            .current_dir(&root)
            .args(["nextest", "run", "--no-fail-fast"])
            .args(&opts.args),
    )?;
    let mut failed = Vec::new();
    if !tests.success() {
        failed.push("tests");
    }
    if opts.args.is_empty() && !unprivileged_unit_tests(&root)? {
        failed.push("vmmon's unit tests as an unprivileged user");
    }
    if opts.args.is_empty() {
        let fmt = cmd::status(
            Command::new("cargo")
                .current_dir(&root)
                .args(["fmt", "--all", "--", "--check"]),
        )?;
        if !fmt.success() {
            failed.push("cargo fmt --check (run `cargo fmt --all`)");
        }
        let clippy = cmd::status(Command::new("cargo").current_dir(&root).args([
            "clippy",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        if !clippy.success() {
            failed.push("cargo clippy");
        }
        // The kernel crate builds only for the BPF target, with nightly and its own core.
        let ebpf = cmd::status(Command::new("cargo").current_dir(&root).args([
            "+nightly",
            "clippy",
            "--package",
            "vmmon-ebpf",
            "--target",
            "bpfel-unknown-none",
            "-Z",
            "build-std=core",
            "--bins",
            "--lib",
            "--",
            "-D",
            "warnings",
        ]))?;
        if !ebpf.success() {
            failed.push("cargo clippy on vmmon-ebpf");
        }
    }
    if !failed.is_empty() {
        bail!("failed: {}", failed.join(", "));
    }
    Ok(())
}

/// Runs vmmon's unit tests (the agent's core among them) again as `nobody` with no
/// capabilities: none of them may need root. The binary is the one the run above built.
fn unprivileged_unit_tests(root: &std::path::Path) -> Result<bool> {
    let out = Command::new("cargo")
        .current_dir(root)
        .args(["test", "--no-run", "--lib", "--message-format=json"])
        .output()?;
    let exe = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|m| m["target"]["name"] == "vmmon" && m["executable"].is_string())
        .and_then(|m| m["executable"].as_str().map(str::to_string));
    let Some(exe) = exe else {
        bail!("no unit-test binary of vmmon found in cargo's output");
    };
    Ok(cmd::status(
        Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
            ])
            .arg(exe)
            .current_dir("/"),
    )?
    .success())
}
