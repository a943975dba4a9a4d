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
