//! The scrape part of `cargo xtask bench`: does serving `/metrics` delay draining the ring?
//! The agent runs with 10,000 extra processes; for a while nothing scrapes it, then a scrape
//! of `/metrics` comes every second, as Prometheus does. The agent's own histogram of the time
//! between two drains (`drain_gaps` in its status) says how long events waited in each phase.
//! `--agent PATH` measures another `vmmon` build (one from before a change) the same way.

use crate::bench_agent::{Agent, Procs};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::{Duration, Instant};

const PROCESSES: u64 = 10_000;
const SECONDS: u64 = 30;

pub struct Figures {
    pub processes: u64,
    /// The longest gap between two drains, as the upper bound of its bucket (ms), without
    /// and with scrapes.
    pub quiet_longest_ms: u64,
    pub scraped_longest_ms: u64,
    pub scrapes: usize,
    pub scrape_ms_median: f64,
    pub scrape_bytes: usize,
    /// Gaps longer than 20 ms in each phase, by bucket: `(le_ms, quiet, scraped)`.
    pub long_gaps: Vec<(u64, u64, u64)>,
}

/// Gaps in `(before, after]` that fell in each bucket above 20 ms.
fn per_bucket(before: &[(u64, u64)], after: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let cum = |v: &[(u64, u64)], le: u64| v.iter().find(|b| b.0 == le).map_or(0, |b| b.1);
    let window = |le: u64| cum(after, le) - cum(before, le);
    let mut prev = 0;
    let mut out = Vec::new();
    for &(le, _) in after {
        let n = window(le);
        if le > 20 {
            out.push((le, n - prev));
        }
        prev = n;
    }
    out
}

/// The agent's drain-gap histogram, from one reading of its status: the cumulative bucket
/// counts, and how many gaps were counted.
fn gaps(agent: &Agent) -> Result<(Vec<(u64, u64)>, u64)> {
    let s = agent.status()?;
    let g = &s["drain_gaps"];
    let buckets = g["buckets"]
        .as_array()
        .context("the agent's status has no drain_gaps (a build from before they existed?)")?;
    let count = g["count"].as_u64().context("no drain count")?;
    Ok((
        buckets
            .iter()
            .filter_map(|b| Some((b["le_ms"].as_u64()?, b["count"].as_u64()?)))
            .collect(),
        count,
    ))
}

/// The upper bound of the smallest bucket holding every one of the `drains` gaps between
/// `before` and `after`: the longest gap is at most that; `u64::MAX` when a gap was longer
/// than the last bound.
fn longest(before: &[(u64, u64)], after: &[(u64, u64)], drains: u64) -> u64 {
    let in_window = |le: u64| {
        after.iter().find(|b| b.0 == le).map_or(0, |b| b.1)
            - before.iter().find(|b| b.0 == le).map_or(0, |b| b.1)
    };
    after
        .iter()
        .map(|b| b.0)
        .find(|&le| in_window(le) == drains)
        .unwrap_or(u64::MAX)
}

pub fn run(bin: &Path, agent_exe: Option<&Path>) -> Result<Figures> {
    let exe = agent_exe.map_or_else(|| bin.join("vmmon"), Path::to_path_buf);
    eprintln!(
        "xtask: bench: scrapes of {} with {PROCESSES} extra processes",
        exe.display()
    );
    let mut procs = Procs::start(bin, PROCESSES)?;
    let agent = Agent::start_exe(&exe)?;
    let s = agent.wait(Duration::from_secs(180), |s| {
        s["bootstrap_ms"].is_u64() && s["processes"].as_u64().unwrap_or(0) >= PROCESSES
    })?;
    let processes = s["processes"].as_u64().unwrap_or(0);
    std::thread::sleep(Duration::from_secs(2));

    let (g0, d0) = gaps(&agent)?;
    std::thread::sleep(Duration::from_secs(SECONDS));
    let (g1, d1) = gaps(&agent)?;

    let http: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut took = Vec::new();
    let mut bytes = 0;
    let start = Instant::now();
    for i in 0..SECONDS {
        let next = start + Duration::from_secs(i);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let t = Instant::now();
        let text = http
            .get(&format!("http://{}/metrics", agent.addr))
            .call()?
            .body_mut()
            .read_to_string()?;
        took.push(t.elapsed().as_secs_f64() * 1e3);
        bytes = text.len();
    }
    let (g2, d2) = gaps(&agent)?;
    drop(agent);
    procs.stop()?;
    if d1 == d0 || d2 == d1 {
        bail!("the agent did not drain at all during a phase");
    }
    took.sort_by(f64::total_cmp);
    Ok(Figures {
        processes,
        quiet_longest_ms: longest(&g0, &g1, d1 - d0),
        scraped_longest_ms: longest(&g1, &g2, d2 - d1),
        scrapes: took.len(),
        scrape_ms_median: took[took.len() / 2],
        scrape_bytes: bytes,
        long_gaps: per_bucket(&g0, &g1)
            .into_iter()
            .zip(per_bucket(&g1, &g2))
            .map(|((le, quiet), (_, scraped))| (le, quiet, scraped))
            .collect(),
    })
}

pub fn report(f: &Figures) {
    let ms = |v: u64| {
        if v == u64::MAX {
            "> 5000 ms".to_string()
        } else {
            format!("<= {v} ms")
        }
    };
    println!();
    println!(
        "vmmon scrape bench ({} processes in the ledger)",
        f.processes
    );
    println!(
        "longest pause in draining the ring: {} with no scrapes, {} with {} scrapes of /metrics, one a second",
        ms(f.quiet_longest_ms),
        ms(f.scraped_longest_ms),
        f.scrapes
    );
    let buckets: Vec<String> = f
        .long_gaps
        .iter()
        .filter(|g| g.1 + g.2 > 0)
        .map(|(le, q, s)| format!("<= {le} ms: {q} quiet, {s} scraped"))
        .collect();
    println!(
        "drains more than 20 ms apart ({SECONDS} s each): {}",
        if buckets.is_empty() {
            "none".to_string()
        } else {
            buckets.join("; ")
        }
    );
    println!(
        "a scrape took {:.1} ms (median) for {} KiB of exposition",
        f.scrape_ms_median,
        f.scrape_bytes / 1024
    );
}

#[cfg(test)]
mod tests;
