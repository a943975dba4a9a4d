//! vmmon's developer tasks. `cargo xtask <task>`; every task that builds first runs `setup`.

mod bench;
mod bench_agent;
mod bench_exact;
mod bench_load;
mod bench_scrape;
mod bench_top;
mod cmd;
mod dist;
mod image;
mod run;
mod setup;
mod sizes;
mod test;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "xtask", about = "vmmon developer tasks")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what building the eBPF programs needs (skips what is present).
    Setup,
    /// Build and start the agent with defaults (as root); arguments after `--` go to vmmon.
    Run(run::Options),
    /// Run the whole test suite, including the tests that load the real eBPF programs (as root).
    Test(test::Options),
    /// Measure the tracing overhead and the ledger (ratios from interleaved runs).
    Bench(bench::Options),
    /// Build a .deb and a tarball: binary, systemd unit, default config, man page.
    Dist,
    /// Build the DaemonSet's container image (FROM scratch, a static binary) offline.
    Image,
    /// List product functions over 80 lines and source files over 600 (fails if any).
    Sizes,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.task {
        Task::Setup => setup::run(),
        Task::Run(opts) => run::run(opts),
        Task::Test(opts) => test::run(opts),
        Task::Bench(opts) => bench::run(opts),
        Task::Dist => dist::run(),
        Task::Image => image::run(),
        Task::Sizes => sizes::run(),
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}
