//! `vmmon maps PID`: a process's ledger from the running agent, like `pmap -X`, or `--json`.

use anyhow::{Result, anyhow, bail};
use std::time::Duration;
use vmmon::client::{Client, ClientError};
use vmmon::format::human_bytes;
use vmmon::procfs::{Rss, read_smaps, rss_within};
use vmmon::view::{ProcessView, RegionView};

#[derive(clap::Args)]
pub struct Args {
    /// The process id.
    pid: u32,
    /// Print the region list as JSON (the API's `/api/v1/processes/{pid}/maps`).
    #[arg(long)]
    json: bool,
    /// Add each region's Rss, Pss, Anonymous and Swap, like `pmap -X`, read from the
    /// process's /proc/PID/smaps now (this one process only; needs root or its owner).
    #[arg(long, conflicts_with = "by_site")]
    rss: bool,
    /// Bytes and mappings per call site (the code that mapped them), largest first, named
    /// from the mapped files' symbols; with --json, the API's `/api/v1/processes/{pid}/sites`.
    #[arg(long)]
    by_site: bool,
    /// With --by-site: how many call sites to show.
    #[arg(long, value_name = "N", default_value = "20", requires = "by_site")]
    sites: usize,
    /// With --by-site: the call sites as a pprof profile and/or a flame graph.
    #[command(flatten)]
    files: super::profile_out::ProfileFiles,
    #[command(flatten)]
    agent: super::connect::ConnectArgs,
}

/// The agent to ask.
fn client(args: &Args) -> Result<Client> {
    args.agent.client(Duration::from_secs(5))
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

fn no_agent(e: ClientError) -> anyhow::Error {
    match e {
        ClientError::NoAnswer { .. } => {
            anyhow!(
                "{e}; start one with `vmmon agent` (as root) or pass --connect SOCKET|HOST:PORT"
            )
        }
        e => e.into(),
    }
}

pub fn run(args: Args) -> Result<()> {
    let client = client(&args)?;
    let regions = maps_when_ready(&client, args.pid).map_err(no_agent)?;
    if args.files.any() {
        if !args.by_site {
            bail!("--pprof and --flamegraph write the call sites: add --by-site");
        }
        let path = format!("/api/v1/processes/{}/sites?limit={}", args.pid, args.sites);
        return args.files.write(&client, &path, no_agent);
    }
    if args.by_site {
        let sites = client.sites(args.pid, args.sites).map_err(no_agent)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&sites)?);
        } else {
            print!("{}", super::by_site::render(&sites));
        }
        return Ok(());
    }
    let rss = if args.rss {
        let entries = read_smaps(args.pid).map_err(|e| {
            anyhow!(
                "cannot read /proc/{}/smaps: {e}; --rss needs root or the process's owner, on the agent's machine",
                args.pid
            )
        })?;
        Some(
            regions
                .iter()
                .map(|r| rss_within(&entries, r.start, r.end))
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    if args.json {
        let text = match &rss {
            Some(rss) => serde_json::to_string_pretty(&with_rss(&regions, rss))?,
            None => serde_json::to_string_pretty(&regions)?,
        };
        println!("{text}");
        return Ok(());
    }
    let process = client.process(args.pid).ok();
    print!(
        "{}",
        render(args.pid, process.as_ref(), &regions, rss.as_deref())
    );
    Ok(())
}

/// Each region with its memory (`rss_bytes`, `pss_bytes`, `anonymous_bytes`, `swap_bytes`).
fn with_rss(regions: &[RegionView], rss: &[Rss]) -> Vec<serde_json::Value> {
    regions
        .iter()
        .zip(rss)
        .map(|(r, m)| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("rss_bytes".into(), m.rss_bytes.into());
                o.insert("pss_bytes".into(), m.pss_bytes.into());
                o.insert("anonymous_bytes".into(), m.anonymous_bytes.into());
                o.insert("swap_bytes".into(), m.swap_bytes.into());
            }
            v
        })
        .collect()
}

/// What a process's calls in flight mean for the regions shown.
fn in_flight_note(busy: vmmon::view::InFlightView, now_ns: u64) -> String {
    let age = busy
        .since_ns
        .filter(|&t| t <= now_ns)
        .map_or(String::new(), |t| {
            format!(" for {:.1} s", (now_ns - t) as f64 / 1e9)
        });
    format!(
        "({} call(s) in the kernel{age}: the regions may lag behind /proc until they return)",
        busy.calls
    )
}

/// `pmap -X`-style text; with `rss` (one per region), the Rss, Pss, Anonymous and Swap
/// columns too.
pub fn render(
    pid: u32,
    process: Option<&ProcessView>,
    regions: &[RegionView],
    rss: Option<&[Rss]>,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let comm = process.map_or(String::new(), |p| p.comm.escape_default().to_string());
    let _ = writeln!(out, "{pid}:   {comm}");
    if let Some(busy) = process.and_then(|p| p.in_flight) {
        let _ = writeln!(
            out,
            "  {}",
            in_flight_note(busy, vmmon::clock::monotonic_ns())
        );
    }
    let memory = |out: &mut String, m: Option<&Rss>| {
        if let Some(m) = m {
            let _ = write!(
                out,
                "{:>9} {:>9} {:>9} {:>9} ",
                human_bytes(m.rss_bytes),
                human_bytes(m.pss_bytes),
                human_bytes(m.anonymous_bytes),
                human_bytes(m.swap_bytes)
            );
        }
    };
    let _ = write!(out, "{:>16} {:<4} {:>9} ", "Address", "Perm", "Size");
    if rss.is_some() {
        let _ = write!(
            out,
            "{:>9} {:>9} {:>9} {:>9} ",
            "Rss", "Pss", "Anonymous", "Swap"
        );
    }
    let _ = writeln!(out, "{:>8} {:<8} Path", "Offset", "Kind");
    for (i, r) in regions.iter().enumerate() {
        let path = r.path.as_deref().unwrap_or("").escape_default().to_string();
        let _ = write!(
            out,
            "{:>16x} {:<4} {:>9} ",
            r.start,
            r.perms,
            human_bytes(r.end - r.start)
        );
        memory(&mut out, rss.and_then(|m| m.get(i)));
        let _ = writeln!(out, "{:>8x} {:<8} {path}", r.offset, r.kind);
    }
    let total: u64 = regions.iter().map(|r| r.end - r.start).sum();
    let _ = write!(out, "{:>16} {:<4} {:>9} ", "", "", human_bytes(total));
    let sum = rss.map(|m| {
        m.iter().fold(Rss::default(), |a, b| Rss {
            rss_bytes: a.rss_bytes + b.rss_bytes,
            pss_bytes: a.pss_bytes + b.pss_bytes,
            anonymous_bytes: a.anonymous_bytes + b.anonymous_bytes,
            swap_bytes: a.swap_bytes + b.swap_bytes,
            ..a
        })
    });
    memory(&mut out, sum.as_ref());
    let _ = writeln!(out, "total in {} mappings", regions.len());
    if let Some(p) = process {
        let _ = writeln!(out, "by kind: {}", kinds_summary(p));
        if let Some(r) = &p.refused {
            out.push_str(&refused_lines(r));
        }
    }
    out
}

/// Mappings and bytes of each kind the process has: `anon 12 (4.0 MiB), file 30 (...)`.
fn kinds_summary(p: &ProcessView) -> String {
    let parts: Vec<String> = p
        .mappings_by_kind
        .named()
        .into_iter()
        .zip(p.bytes_by_kind.named())
        .filter(|((_, n), _)| *n > 0)
        .map(|((k, n), (_, b))| format!("{k} {n} ({})", human_bytes(b)))
        .collect();
    parts.join(", ")
}

/// The first and the latest call the kernel refused the process, one line each.
fn refused_lines(r: &vmmon::view::RefusedView) -> String {
    let line = |which: &str, c: &vmmon::view::RefusedCallView| {
        let when = vmmon::clock::monotonic_ns().saturating_sub(c.at_ns) as f64 / 1e9;
        let then = match (c.virtual_bytes, c.mapping_count) {
            (Some(v), Some(m)) => format!("; it had {} in {m} mappings", human_bytes(v)),
            _ => String::new(),
        };
        let from = c
            .frames
            .first()
            .map_or(String::new(), |f| format!(" from {}", f.text()));
        format!(
            "refused ({which}): {} of {} {} {when:.1} s ago{then}{from}\n",
            c.call,
            human_bytes(c.bytes),
            c.error
        )
    };
    if r.first == r.latest {
        return line("once", &r.first);
    }
    line("first", &r.first) + &line("latest", &r.latest)
}

#[cfg(test)]
mod tests;
