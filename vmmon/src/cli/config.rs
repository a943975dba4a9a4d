//! `vmmon config check [PATH]`: validate a configuration file and print the effective
//! settings (the file's, with defaults for what it leaves out).

use anyhow::Result;
use std::path::PathBuf;
use vmmon::config::{Config, DEFAULT_PATH};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a configuration file and print the effective settings.
    Check {
        /// The file to check.
        path: Option<PathBuf>,
    },
}

pub fn run(cmd: Command) -> Result<()> {
    let Command::Check { path } = cmd;
    let (config, used) = Config::load(path.as_deref())?;
    match used {
        Some(p) => eprintln!(
            "vmmon config: {} is valid; effective settings:",
            p.display()
        ),
        None => eprintln!("vmmon config: no file at {DEFAULT_PATH}; the defaults apply:"),
    }
    print!("{}", config.to_toml());
    Ok(())
}
