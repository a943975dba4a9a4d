//! `cargo xtask test`: every test, the ones that load the real eBPF programs included.

use crate::cmd::{self, workspace_root};
use crate::setup;
use anyhow::{Result, bail};
use std::process::Command;

#[derive(clap::Args)]
pub struct Options {
    /// Extra arguments for the test runner (e.g. a test name filter).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(opts: Options) -> Result<()> {
    setup::run()?;
    if !cmd::is_root() {
        bail!(
            "the test suite loads real eBPF programs and must run as root: run `sudo cargo xtask test`"
        );
    }
    let root = workspace_root();
    cmd::run(
        Command::new("cargo")
            .current_dir(&root)
            .args(["nextest", "run", "--workspace", "--no-fail-fast"])
            .args(&opts.args),
    )?;
    Ok(())
}
