//! The `vmmon` command: parse, set up logging, dispatch to a subcommand, and turn any error
//! into one line on stderr and a non-zero exit.

mod cli;

/// Fixes glibc's thresholds for giving memory back. By default they grow with the largest
/// block freed: loading the programs parses the kernel's BTF (megabytes, freed at once),
/// after which the agent's heap would keep tens of megabytes it no longer uses. Blocks of a
/// megabyte or more get their own mapping, and a heap's free top past a megabyte is returned.
/// Two arenas, not one per thread: the agent's threads (the owner, the `/proc` reader, the
/// serve loop's workers and blocking pool) would each keep an arena's worth of freed memory
/// after a burst (RSS 30 s after two producers' load: +2.9 MiB with the default, +2.0 with two).
fn keep_the_heap_small() {
    const MIB: i32 = 1 << 20;
    // SAFETY: mallopt only changes the allocator's tunables; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MIB);
        libc::mallopt(libc::M_TRIM_THRESHOLD, MIB);
        libc::mallopt(libc::M_ARENA_MAX, 2);
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
        eprintln!("vmmon: {}", one_line(&e));
        std::process::exit(1);
    }
}

/// An error and its causes in one line, each said once: errors that keep their source
/// (`#[source]`) mostly say it in their own message too, which `{:#}` would repeat.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !line.contains(&cause) {
            line.push_str(": ");
            line.push_str(&cause);
        }
    }
    line
}
