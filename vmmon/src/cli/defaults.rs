//! Each flag's help ends with its default, taken from the configuration's defaults (the one
//! place they are written), so that no doc comment repeats a number that could drift.

use clap::{Arg, Command};
use std::fmt::Display;
use vmmon::config::{Config, DEFAULT_PATH};

fn with(arg: Arg, default: impl Display) -> Arg {
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    arg.help(format!("{help} [default: {default}]"))
}

fn pipeline(c: Command, d: &Config) -> Command {
    c.mut_arg("ring_buffer_bytes", |a| {
        with(a, d.pipeline.ring_buffer_bytes)
    })
    .mut_arg("poll_interval_ms", |a| with(a, d.pipeline.poll_interval_ms))
    .mut_arg("call_sites", |a| with(a, d.pipeline.call_sites))
    .mut_arg("call_site_depth", |a| with(a, d.pipeline.call_site_depth))
}

fn config_file(c: Command) -> Command {
    c.mut_arg("config", |a| {
        with(a, format!("{DEFAULT_PATH}, used when it exists"))
    })
}

fn where_the_agent_is(c: Command, d: &Config) -> Command {
    config_file(c).mut_arg("connect", |a| {
        with(
            a,
            format!("api.socket from the configuration, else {}", d.api.socket),
        )
    })
}

/// `cmd` with the defaults written into its flags' help.
pub fn annotate(cmd: Command) -> Command {
    let d = Config::default();
    cmd.mut_subcommand("agent", |c| {
        config_file(pipeline(c, &d))
            .mut_arg("listen", |a| with(a, &d.agent.listen))
            .mut_arg("socket", |a| with(a, &d.api.socket))
            .mut_arg("resyncs_per_second", |a| {
                with(a, d.agent.resyncs_per_second)
            })
            .mut_arg("sweep_interval_ms", |a| with(a, d.agent.sweep_interval_ms))
            .mut_arg("exits_kept", |a| with(a, d.agent.exits_kept))
            .mut_arg("top_k", |a| with(a, d.metrics.top_k))
            .mut_arg("max_groups", |a| with(a, d.metrics.max_groups))
            .mut_arg("growth_window_seconds", |a| {
                with(a, d.metrics.growth_window_seconds)
            })
    })
    .mut_subcommand("trace", |c| pipeline(c, &d))
    .mut_subcommand("top", |c| where_the_agent_is(c, &d))
    .mut_subcommand("maps", |c| where_the_agent_is(c, &d))
    .mut_subcommand("config", |c| {
        c.mut_subcommand("check", |c| c.mut_arg("path", |a| with(a, DEFAULT_PATH)))
    })
}

#[cfg(test)]
mod tests;
