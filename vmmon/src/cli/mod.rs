//! The command line: global flags and one module per subcommand.

mod agent;
mod by_site;
mod completions;
mod config;
mod connect;
mod defaults;
mod maps;
mod pipeline_args;
mod profile;
mod profile_out;
mod reload;
mod top;
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
    /// Run the agent: keep every process's address-space ledger and serve it over HTTP.
    Agent(agent::Args),
    /// Print a shell completion script (bash, zsh or fish) to standard output.
    Completions(completions::Args),
    /// Check a configuration file and print the effective settings.
    #[command(subcommand)]
    Config(config::Command),
    /// Print a process's mappings as the agent's ledger has them (like `pmap -X`).
    Maps(maps::Args),
    /// Write what every process's call sites still hold (of one comm or unit) as a pprof
    /// profile and/or a flame graph: the processes whose maps you may read.
    Profile(profile::Args),
    /// Check the configuration file and ask a running agent to reread it (systemctl reload).
    Reload(reload::Args),
    /// The live view of who is growing, how fast, and how (like htop).
    Top(top::Args),
    /// Print every address-space syscall and process event on the machine, live.
    Trace(trace::Args),
}

impl Cli {
    /// Parses the command line, with each flag's help saying its default.
    pub fn parse() -> Self {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = defaults::annotate(Self::command()).get_matches();
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

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
        Command::Agent(args) => agent::run(args),
        Command::Completions(args) => completions::run(args),
        Command::Config(cmd) => config::run(cmd),
        Command::Maps(args) => maps::run(args),
        Command::Profile(args) => profile::run(args),
        Command::Reload(args) => reload::run(args),
        Command::Top(args) => top::run(args),
        Command::Trace(args) => trace::run(args),
    }
}
