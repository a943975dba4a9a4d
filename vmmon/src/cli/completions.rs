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
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_subcommands() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut cmd = crate::cli::defaults::annotate(crate::cli::Cli::command());
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "vmmon", &mut out);
            let text = String::from_utf8(out).unwrap();
            for sub in ["agent", "maps", "top", "trace", "rss", "exits-kept"] {
                assert!(text.contains(sub), "{shell:?} lacks {sub}");
            }
        }
    }
}
