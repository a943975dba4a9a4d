use super::*;
use clap::CommandFactory as _;

#[test]
fn every_default_is_written_from_the_configuration() {
    let cmd = annotate(crate::cli::Cli::command());
    cmd.clone().debug_assert();
    let help = |path: &[&str]| {
        let mut c = cmd.clone();
        for p in path {
            c = c.find_subcommand(p).unwrap().clone();
        }
        c.render_long_help().to_string()
    };
    let agent = help(&["agent"]);
    for want in [
        "[default: 127.0.0.1:9464]",
        "[default: 20]",
        "[default: 50]",
        "[default: 60]",
        "[default: 1000]",
        "[default: 256]",
        "[default: 8388608]",
        "[default: 10]",
        "[default: 64KiB]",
        "[default: 8]",
        "[default: /etc/vmmon/vmmon.toml, used when it exists]",
    ] {
        assert!(agent.contains(want), "{want} missing from:\n{agent}");
    }
    assert!(help(&["maps"]).contains("else /run/vmmon/api.sock]"));
    assert!(help(&["top"]).contains("else /run/vmmon/api.sock]"));
    assert!(help(&["agent"]).contains("[default: /run/vmmon/api.sock]"));
    assert!(help(&["trace"]).contains("[default: 8388608]"));
    assert!(help(&["config", "check"]).contains("[default: /etc/vmmon/vmmon.toml]"));
}
