//! `cargo xtask run`: set up, build in release, and start vmmon's main job with defaults.

use crate::cmd;
use crate::setup;
use anyhow::{Result, bail};
use std::os::unix::process::CommandExt;
use std::process::Command;

#[derive(clap::Args)]
pub struct Options {
    /// Arguments for vmmon (default: `agent`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(opts: Options) -> Result<()> {
    let root = setup::release_build()?;
    if !cmd::is_root() {
        bail!("vmmon loads eBPF programs and must run as root: run `sudo cargo xtask run`");
    }
    let args = if opts.args.is_empty() {
        vec!["agent".to_string()]
    } else {
        opts.args
    };
    let bin = root.join("target/release/vmmon");
    eprintln!("xtask: $ {} {}", bin.display(), args.join(" "));
    let err = Command::new(&bin).args(&args).exec();
    bail!("could not start {}: {err}", bin.display())
}
