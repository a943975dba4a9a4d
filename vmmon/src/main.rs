//! The `vmmon` command: parse, set up logging, dispatch to a subcommand, and turn any error
//! into one line on stderr and a non-zero exit.

mod cli;

/// Fixes glibc's thresholds for giving memory back. By default they grow with the largest
/// block freed: loading the programs parses the kernel's BTF (megabytes, freed at once),
/// after which the agent's heap would keep tens of megabytes it no longer uses. Blocks of a
/// megabyte or more get their own mapping, and a heap's free top past a megabyte is returned.
fn keep_the_heap_small() {
    const MIB: i32 = 1 << 20;
    // SAFETY: mallopt only changes the allocator's tunables; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MIB);
        libc::mallopt(libc::M_TRIM_THRESHOLD, MIB);
    }
}

fn main() {
    keep_the_heap_small();
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
