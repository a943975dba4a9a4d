//! `vmmon top`: the live view, from the running agent or, when none answers, from the
//! pipeline run in this process; or `--once`, one plain-text snapshot.

use anyhow::{Result, anyhow, bail};
use std::net::ToSocketAddrs;
use std::time::Duration;
use vmmon::agent::{CoreOptions, StartError};
use vmmon::bpf::LoadOptions;
use vmmon::client::Endpoint;
use vmmon::config::Config;
use vmmon::top::source::{AgentSource, SnapshotSource, Source};
use vmmon::top::terminal::refresh;
use vmmon::top::users::Users;
use vmmon::top::{App, Column, plain, terminal};

fn column(s: &str) -> Result<Column, String> {
    Column::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        format!("unknown column; one of: {}", names.join(", "))
    })
}

fn interval(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.1..=3600.0).contains(&v) => Ok(v),
        _ => Err("expected seconds between 0.1 and 3600, like 1 or 0.5".into()),
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Where the agent is (with --connect, only that agent is used; without it, when no
    /// agent answers at the configured socket, the pipeline runs in this process, as root).
    #[command(flatten)]
    agent: super::connect::ConnectArgs,
    /// Seconds between refreshes.
    #[arg(short = 'd', long, default_value = "1", value_parser = interval, value_name = "SECONDS")]
    interval: f64,
    /// The column to sort by (largest first for numbers; `r` reverses in the view).
    #[arg(long, default_value = "growth", value_parser = column, value_name = "COLUMN")]
    sort: Column,
    /// Show only processes whose name contains TEXT, or whose pid starts with it.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Print one plain-text snapshot of the table (two samples an interval apart, for the
    /// rates) and exit.
    #[arg(long)]
    once: bool,
}

fn source(args: &Args) -> Result<Box<dyn Source>> {
    if let Some(c) = &args.agent.connect {
        let client = args.agent.client(TIMEOUT)?;
        if let Endpoint::Tcp(addr) = Endpoint::parse(c) {
            addr.to_socket_addrs()
                .map_err(|e| anyhow!("--connect {c:?}: cannot resolve the host ({e})"))?;
        }
        client.status().map_err(|e| {
            anyhow!("{e}; start one with `vmmon agent` (as root), or leave out --connect to run the pipeline in vmmon top itself (as root)")
        })?;
        return Ok(Box::new(AgentSource::new(client)));
    }
    let (config, _) = Config::load(args.agent.config.as_deref())?;
    let client = args.agent.client(TIMEOUT)?;
    let no_agent = match client.status() {
        Ok(_) => return Ok(Box::new(AgentSource::new(client))),
        Err(e) => e,
    };
    log::info!("{no_agent}; running the pipeline in this process");
    let load = LoadOptions::from_config(&config.pipeline);
    match vmmon::agent::start(load, CoreOptions::from_config(&config)) {
        Ok(running) => Ok(Box::new(SnapshotSource::new(
            running.snapshots(),
            Box::new(running),
        ))),
        Err(StartError::Pipeline(vmmon::bpf::Error::NotPrivileged)) => bail!(
            "{no_agent}, and without an agent vmmon top runs the eBPF pipeline itself, which needs root (CAP_BPF and CAP_PERFMON): start `vmmon agent` as root, or run vmmon top as root"
        ),
        Err(e) => bail!("{no_agent}, and running the pipeline in-process failed: {e}"),
    }
}

/// How long a question to the agent may take.
const TIMEOUT: Duration = Duration::from_secs(2);

pub fn run(args: Args) -> Result<()> {
    use std::io::IsTerminal as _;
    let tty = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if !args.once && !tty {
        bail!(
            "vmmon top needs a terminal on standard input and output; use `vmmon top --once` for a plain-text snapshot"
        );
    }
    let mut source = source(&args)?;
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut app = App::new(source.label(), args.sort, args.interval, color);
    app.filter = args.filter.clone().unwrap_or_default();
    let users = Users::load();
    if args.once {
        return once(&mut app, source.as_mut(), &users, args.interval);
    }
    Ok(terminal::run(app, source.as_mut(), &users)?)
}

/// Two samples an interval apart (the second gives the per-second rates), printed as text.
fn once(app: &mut App, source: &mut dyn Source, users: &Users, interval: f64) -> Result<()> {
    // In-process, wait (a bounded while) for the start-up read of every process.
    for _ in 0..300 {
        let pending = source
            .sample()
            .map_err(|e| anyhow!("{}: {e}", source.label()))?
            .status
            .bootstrap_pending;
        if pending == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for i in 0..2 {
        if i > 0 {
            std::thread::sleep(Duration::from_secs_f64(interval));
        }
        refresh(app, source, users);
        if let vmmon::top::app::Link::Down { error, .. } = &app.link {
            bail!("{} stopped answering: {error}", source.label());
        }
    }
    print!("{}", plain::render(app));
    Ok(())
}
