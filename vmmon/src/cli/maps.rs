//! `vmmon maps PID`: a process's ledger from the running agent, like `pmap -X`, or `--json`.

use anyhow::{Result, anyhow};
use std::path::PathBuf;
use std::time::Duration;
use vmmon::client::{Client, ClientError};
use vmmon::config::Config;
use vmmon::format::human_bytes;
use vmmon::view::{ProcessView, RegionView};

#[derive(clap::Args)]
pub struct Args {
    /// The process id.
    pid: u32,
    /// Print the region list as JSON (the API's `/api/v1/processes/{pid}/maps`).
    #[arg(long)]
    json: bool,
    /// The agent's address (HOST:PORT).
    #[arg(long, value_name = "ADDR")]
    connect: Option<String>,
    /// The configuration file whose agent.listen is where the agent is looked for.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

/// The agent to ask: `--connect`, else the configuration's `agent.listen`.
fn client(args: &Args) -> Result<Client> {
    let addr = match &args.connect {
        Some(c) => c.clone(),
        None => {
            let (config, _) = Config::load(args.config.as_deref())?;
            config
                .connect_addr()
                .map_err(|e| anyhow!("agent.listen: {e}"))?
                .to_string()
        }
    };
    Ok(Client::new(&addr, Duration::from_secs(5)))
}

/// How long `vmmon maps` waits for an agent still reading `/proc` at start-up.
const READY_WITHIN: Duration = Duration::from_secs(15);

/// The process's regions, waiting a bounded time for an agent that has just started.
fn maps_when_ready(client: &Client, pid: u32) -> Result<Vec<RegionView>, ClientError> {
    let deadline = std::time::Instant::now() + READY_WITHIN;
    loop {
        match client.maps(pid) {
            Err(ClientError::NotReady { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

pub fn run(args: Args) -> Result<()> {
    let client = client(&args)?;
    let regions = maps_when_ready(&client, args.pid).map_err(|e| match e {
        ClientError::NoAnswer { .. } => {
            anyhow!("{e}; start one with `vmmon agent` (as root) or pass --connect ADDR")
        }
        e => e.into(),
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&regions)?);
        return Ok(());
    }
    let process = client.process(args.pid).ok();
    print!("{}", render(args.pid, process.as_ref(), &regions));
    Ok(())
}

/// `pmap -X`-style text.
pub fn render(pid: u32, process: Option<&ProcessView>, regions: &[RegionView]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let comm = process.map_or(String::new(), |p| p.comm.escape_default().to_string());
    let _ = writeln!(out, "{pid}:   {comm}");
    let _ = writeln!(
        out,
        "{:>16} {:<4} {:>9} {:>8} {:<8} Path",
        "Address", "Perm", "Size", "Offset", "Kind"
    );
    for r in regions {
        let path = r.path.as_deref().unwrap_or("").escape_default().to_string();
        let _ = writeln!(
            out,
            "{:>16x} {:<4} {:>9} {:>8x} {:<8} {path}",
            r.start,
            r.perms,
            human_bytes(r.end - r.start),
            r.offset,
            r.kind
        );
    }
    let total: u64 = regions.iter().map(|r| r.end - r.start).sum();
    let _ = writeln!(
        out,
        "{:>16} {:<4} {:>9} total in {} mappings",
        "",
        "",
        human_bytes(total),
        regions.len()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_pmap() {
        let regions = vec![
            RegionView {
                start: 0x55f7_11a6_2000,
                end: 0x55f7_11a6_4000,
                perms: "r--p".into(),
                kind: "file".into(),
                path: Some("/usr/bin/true".into()),
                offset: 0,
                origin: "procfs".into(),
                changes: 0,
            },
            RegionView {
                start: 0x7f00_0000_0000,
                end: 0x7f00_0010_0000,
                perms: "rw-p".into(),
                kind: "anon".into(),
                path: None,
                offset: 0,
                origin: "mmap".into(),
                changes: 1,
            },
        ];
        let text = render(42, None, &regions);
        assert!(text.starts_with("42:"), "{text}");
        assert!(
            text.contains("    55f711a62000 r--p      8.0K        0 file     /usr/bin/true"),
            "{text}"
        );
        assert!(text.contains("1.0M"), "{text}");
        assert!(text.contains("total in 2 mappings"), "{text}");
    }
}
