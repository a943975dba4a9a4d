//! `vmmon reload --pid PID`: what `systemctl reload vmmon` runs. It checks the configuration
//! file first, and the credentials' files it names (web config, certificates, token), so that
//! a broken one fails the reload where the admin sees it (the agent would keep its running
//! configuration anyway), then asks the agent to reread them (SIGHUP). It needs nothing but
//! vmmon itself: a minimal system has no `/bin/kill`.

use anyhow::{Result, anyhow, bail};
use std::path::PathBuf;
use vmmon::config::Config;

#[derive(clap::Args)]
pub struct Args {
    /// The agent's process id (the unit passes `$MAINPID`).
    #[arg(long, value_name = "PID")]
    pid: u32,
    /// The configuration file the agent reads.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<()> {
    let (config, _) = Config::load(args.config.as_deref())
        .map_err(|e| anyhow!("{e}; the agent keeps its running configuration"))?;
    vmmon::server::Credentials::load(&config.api)
        .map_err(|e| anyhow!("{e}; the agent keeps its running configuration"))?;
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", args.pid))
        .map_err(|_| anyhow!("pid {} is not running; is the agent up?", args.pid))?;
    if comm.trim() != "vmmon" {
        bail!(
            "pid {} is {}, not a vmmon agent; pass the agent's pid",
            args.pid,
            comm.trim()
        );
    }
    // SAFETY: a signal to a process checked above to be vmmon.
    if unsafe { libc::kill(args.pid as i32, libc::SIGHUP) } != 0 {
        bail!(
            "cannot signal pid {}: {}",
            args.pid,
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}
