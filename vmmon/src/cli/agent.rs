//! `vmmon agent`: load the programs, keep the ledger, serve the JSON API, until SIGTERM.

use super::pipeline_args::PipelineArgs;
use anyhow::{Context as _, Result, anyhow};
use std::path::PathBuf;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use vmmon::agent::{Command, CoreOptions};
use vmmon::bpf::LoadOptions;
use vmmon::config::Config;

#[derive(clap::Args)]
pub struct Args {
    /// The configuration file (used when it exists).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Address for the HTTP API.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    pipeline: PipelineArgs,
    /// Processes re-read from /proc each second to catch drift, round robin.
    #[arg(long, value_name = "N")]
    resyncs_per_second: Option<u32>,
    /// How often every process's figures are swept from the kernel, in milliseconds (0:
    /// never).
    #[arg(long, value_name = "MS")]
    sweep_interval_ms: Option<u64>,
    /// Recent exits kept for /api/v1/exits.
    #[arg(long, value_name = "N")]
    exits_kept: Option<usize>,
    /// Processes with their own metric series, by size and by growth.
    #[arg(long, value_name = "K")]
    top_k: Option<usize>,
    /// comm and unit groups with their own metric series.
    #[arg(long, value_name = "N")]
    max_groups: Option<usize>,
    /// The window of the growth figures, in seconds.
    #[arg(long, value_name = "SECONDS")]
    growth_window_seconds: Option<u64>,
}

impl Args {
    /// The file's settings with the flags that were given on top, checked.
    fn settings(&self) -> Result<(Config, Option<PathBuf>)> {
        let (mut config, path) = Config::load(self.config.as_deref())?;
        if let Some(l) = &self.listen {
            config.agent.listen = l.clone();
        }
        if let Some(n) = self.resyncs_per_second {
            config.agent.resyncs_per_second = n;
        }
        if let Some(ms) = self.sweep_interval_ms {
            config.agent.sweep_interval_ms = ms;
        }
        if let Some(n) = self.exits_kept {
            config.agent.exits_kept = n;
        }
        if let Some(k) = self.top_k {
            config.metrics.top_k = k;
        }
        if let Some(n) = self.max_groups {
            config.metrics.max_groups = n;
        }
        if let Some(s) = self.growth_window_seconds {
            config.metrics.growth_window_seconds = s;
        }
        self.pipeline.apply(&mut config.pipeline);
        config.validate("command line")?;
        Ok((config, path))
    }
}

pub fn run(args: Args) -> Result<()> {
    let (config, config_path) = args.settings()?;
    let listen = config
        .listen_addr()
        .map_err(|e| anyhow!("agent.listen: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            anyhow!("cannot listen on {listen}: {e}; stop what holds it or pass --listen ADDR")
        })?;
        // The ledger's owner runs on a thread of its own: nothing served here can delay it.
        let running = vmmon::agent::start(
            LoadOptions::from_config(&config.pipeline),
            CoreOptions::from_config(&config),
        )?;
        let mut sigint =
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut sigterm =
            signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        // Installed before the start-up line: a SIGHUP from then on (systemctl reload right
        // after start) rereads the configuration instead of killing the agent.
        let hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
        tokio::spawn(reload_on_sighup(
            hup,
            args,
            config.clone(),
            config_path,
            running.commands(),
        ));
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let app = vmmon::api::router(running.snapshots());
        let server = tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.changed().await;
                })
                .into_future(),
        );
        eprintln!(
            "vmmon agent: {} programs attached; API at http://{}/api/v1/processes",
            running.programs_attached(),
            listen
        );
        let status = running.snapshots().borrow().status.clone();
        if !status.self_check {
            eprintln!(
                "vmmon agent: this kernel's BTF lacks {}: running without self-checks (the ledger is not held to the kernel's figures; only the periodic resync corrects it)",
                status.self_check_missing.join(", ")
            );
        }
        tokio::select! {
            _ = sigint.recv() => {}
            _ = sigterm.recv() => {}
        }
        let _ = stop_tx.send(true);
        let _ = server.await;
        let summary = tokio::task::spawn_blocking(move || running.stop())
            .await
            .context("stopping the ledger's thread")?;
        eprintln!(
            "vmmon agent: detached; {} processes tracked, {} dropped in the kernel",
            summary.processes,
            summary.kernel.dropped()
        );
        Ok(())
    })
}

/// On SIGHUP, reads the configuration again. A valid one updates what can change live (the
/// drift-check rate) and says what needs a restart; an invalid one is logged and the running
/// configuration kept.
async fn reload_on_sighup(
    mut hup: tokio::signal::unix::Signal,
    args: Args,
    mut running: Config,
    path: Option<PathBuf>,
    owner: mpsc::Sender<Command>,
) {
    while hup.recv().await.is_some() {
        let new = match args.settings() {
            Ok((new, _)) => new,
            Err(e) => {
                log::error!("config reload failed, keeping the running config: {e:#}");
                continue;
            }
        };
        if new.agent.listen != running.agent.listen || new.pipeline != running.pipeline {
            log::warn!(
                "config reload: listen and pipeline settings take effect at the next restart"
            );
        }
        if new.agent.resyncs_per_second != running.agent.resyncs_per_second {
            let rate = Command::SetResyncRate(new.agent.resyncs_per_second);
            if owner.send(rate).await.is_err() {
                return;
            }
        }
        log::info!(
            "config reloaded from {}",
            path.as_deref()
                .map_or("defaults and flags".into(), |p| p.display().to_string())
        );
        running = new;
    }
}
