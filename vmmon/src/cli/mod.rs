//! The command line: global flags and one module per subcommand.

mod trace;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vmmon",
    version,
    about = "Live, exact monitor of every process's address space (eBPF)"
)]
pub struct Cli {
    /// More log output (-v info, -vv debug, -vvv trace); VMMON_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print every address-space syscall and process event on the machine, live.
    Trace(trace::Args),
}

impl Cli {
    pub fn log_level(&self) -> log::LevelFilter {
        match self.verbose {
            0 => log::LevelFilter::Warn,
            1 => log::LevelFilter::Info,
            2 => log::LevelFilter::Debug,
            _ => log::LevelFilter::Trace,
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Trace(args) => trace::run(args),
    }
}
