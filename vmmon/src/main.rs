//! The `vmmon` command: parse, set up logging, dispatch to a subcommand, and turn any error
//! into one line on stderr and a non-zero exit.

mod cli;

fn main() {
    let cli = cli::Cli::parse();
    env_logger::Builder::new()
        .filter_level(cli.log_level())
        .parse_env("VMMON_LOG")
        .format_timestamp_millis()
        .init();
    if let Err(e) = cli::run(cli) {
        eprintln!("vmmon: {e:#}");
        std::process::exit(1);
    }
}
