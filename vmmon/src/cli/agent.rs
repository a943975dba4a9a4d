//! `vmmon agent`: load the programs, keep the ledger, serve the JSON API, until SIGTERM.

use super::pipeline_args::PipelineArgs;
use anyhow::{Context as _, Result, anyhow};
use std::net::SocketAddr;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use vmmon::agent::{Core, CoreOptions, api};
use vmmon::bpf::Pipeline;

/// Where the agent listens unless told otherwise (loopback).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";

#[derive(clap::Args)]
pub struct Args {
    /// Address for the HTTP API.
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "ADDR")]
    listen: SocketAddr,
    #[command(flatten)]
    pipeline: PipelineArgs,
    /// Processes re-read from /proc each second to catch drift (round robin).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000), value_name = "N")]
    resyncs_per_second: u32,
}

pub fn run(args: Args) -> Result<()> {
    let opts = args.pipeline.load_options()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot listen on {}: {e}; stop what holds it or pass --listen ADDR",
                    args.listen
                )
            })?;
        let mut pipeline = Pipeline::load(&opts)?;
        let mut core = Core::start(CoreOptions {
            resyncs_per_second: args.resyncs_per_second,
        })
        .context("starting the /proc reader")?;
        let mut sigint =
            signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        let mut sigterm =
            signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let (queries_tx, mut queries) = mpsc::channel(64);
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let server = tokio::spawn(
            axum::serve(listener, api::router(queries_tx))
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.changed().await;
                })
                .into_future(),
        );
        eprintln!(
            "vmmon agent: {} programs attached; API at http://{}/api/v1/processes",
            pipeline.programs_attached(),
            args.listen
        );
        core.run(&mut pipeline, &mut queries, async {
            tokio::select! {
                _ = sigint.recv() => {}
                _ = sigterm.recv() => {}
            }
        })
        .await;
        let _ = stop_tx.send(true);
        let _ = server.await;
        let counters = pipeline.reader().map(|r| r.counters()).unwrap_or_default();
        drop(pipeline);
        eprintln!(
            "vmmon agent: detached; {} processes tracked, {} dropped in the kernel",
            core.ledger().processes().count(),
            counters.dropped()
        );
        Ok(())
    })
}
