//! `vmmon completions SHELL`: a completion script generated from the command line's own
//! definition (clap_complete), so it never lags behind the flags. The `.deb` installs them.

use clap::CommandFactory as _;

#[derive(clap::Args)]
pub struct Args {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut cmd = super::defaults::annotate(super::Cli::command());
    clap_complete::generate(args.shell, &mut cmd, "vmmon", &mut std::io::stdout());
    Ok(())
}

#[cfg(test)]
mod tests;
