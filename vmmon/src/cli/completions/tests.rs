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
