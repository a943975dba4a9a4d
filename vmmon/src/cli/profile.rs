//! `vmmon profile`: what every process's call sites still hold, machine-wide, as a pprof
//! profile (samples labelled `pid`, `comm` and `unit`) and/or a flame graph, or JSON: the
//! processes whose maps the caller may read, as `/proc` would allow.

use anyhow::{Result, bail};
use std::time::Duration;
use vmmon::client::ClientError;

#[derive(clap::Args)]
pub struct Args {
    /// Only the processes of this comm (their name, as `ps -o comm` shows it).
    #[arg(long, value_name = "COMM")]
    comm: Option<String>,
    /// Only the processes of this container or systemd unit (as the API names it).
    #[arg(long, value_name = "UNIT")]
    unit: Option<String>,
    /// Call sites per process, most bytes first.
    #[arg(long, value_name = "N", default_value = "1000")]
    sites: usize,
    /// Print the named call sites of every process as JSON (the API's `/api/v1/sites`).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    files: super::profile_out::ProfileFiles,
    #[command(flatten)]
    agent: super::connect::ConnectArgs,
}

fn no_agent(e: ClientError) -> anyhow::Error {
    match e {
        ClientError::NoAnswer { .. } => anyhow::anyhow!(
            "{e}; start one with `vmmon agent` (as root) or pass --connect SOCKET|HOST:PORT"
        ),
        e => e.into(),
    }
}

pub fn run(args: Args) -> Result<()> {
    if !args.files.any() && !args.json {
        bail!("say what to write: --pprof FILE, --flamegraph FILE.svg, or --json");
    }
    // Naming every process's call sites reads their mapped files: give it time.
    let client = args.agent.client(Duration::from_secs(120))?;
    let mut query: Vec<(&str, String)> = vec![("limit", args.sites.to_string())];
    if let Some(c) = &args.comm {
        query.push(("comm", c.clone()));
    }
    if let Some(u) = &args.unit {
        query.push(("unit", u.clone()));
    }
    let query = serde_urlencoded::to_string(&query)?;
    let path = format!("/api/v1/sites?{query}");
    if args.json {
        let body = client.get_bytes(&path).map_err(no_agent)?;
        println!("{}", String::from_utf8_lossy(&body));
    }
    args.files.write(&client, &path, no_agent)
}
