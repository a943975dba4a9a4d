//! `vmmon agent`: load the programs, keep the ledger, serve the JSON API (on its Unix
//! socket) and `/metrics` (on TCP), until SIGTERM.

use super::pipeline_args::PipelineArgs;
use anyhow::{Context as _, Result, anyhow};
use std::path::PathBuf;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use vmmon::agent::{Command, CoreOptions};
use vmmon::bpf::LoadOptions;
use vmmon::config::Config;
use vmmon::server::{Credentials, Shared};

#[derive(clap::Args)]
pub struct Args {
    /// The configuration file (used when it exists).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Address for /metrics, /healthz and /livez (and the API with --api-tcp).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// The JSON API's Unix socket.
    #[arg(long, value_name = "PATH")]
    socket: Option<String>,
    /// Also serve /api/v1 on the listen address, to clients with credentials.
    #[arg(long)]
    api_tcp: bool,
    /// The web configuration file (exporter-toolkit format: TLS, basic-auth users).
    #[arg(long, value_name = "PATH")]
    web_config_file: Option<String>,
    /// A file holding a bearer token TCP clients may give.
    #[arg(long, value_name = "PATH")]
    bearer_token_file: Option<String>,
    /// /metrics asks for the same credentials as the API.
    #[arg(long)]
    metrics_auth: bool,
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
        self.api_settings(&mut config.api);
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

impl Args {
    fn api_settings(&self, api: &mut vmmon::config::ApiConfig) {
        if let Some(p) = &self.socket {
            api.socket = p.clone();
        }
        api.tcp |= self.api_tcp;
        api.metrics_auth |= self.metrics_auth;
        if let Some(p) = &self.web_config_file {
            api.web_config_file = p.clone();
        }
        if let Some(p) = &self.bearer_token_file {
            api.bearer_token_file = p.clone();
        }
    }
}

/// The doors, bound: refused at once (one line) when they cannot be.
struct Doors {
    tcp: tokio::net::TcpListener,
    unix: tokio::net::UnixListener,
    socket: PathBuf,
    socket_id: (u64, u64),
}

impl Doors {
    async fn bind(config: &Config, listen: std::net::SocketAddr) -> Result<Self> {
        let tcp = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            anyhow!("cannot listen on {listen}: {e}; stop what holds it or pass --listen ADDR")
        })?;
        let socket = PathBuf::from(&config.api.socket);
        let (unix, socket_id) = vmmon::server::bind_socket(&socket)?;
        Ok(Self {
            tcp,
            unix,
            socket,
            socket_id,
        })
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
    let credentials = Credentials::load(&config.api)?;
    warn_of_open_metrics_under_hidepid(&credentials);
    vmmon::server::raise_open_files();
    runtime.block_on(async {
        let doors = Doors::bind(&config, listen).await?;
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
        let shared = Shared::new(
            vmmon::api::router(running.snapshots()),
            credentials,
            config.api.tcp,
            &config.api.socket,
        );
        tokio::spawn(reload_on_sighup(
            hup,
            args,
            config.clone(),
            config_path,
            (running.commands(), shared.clone()),
        ));
        let (stop_tx, stop_rx) = watch::channel(false);
        let servers = [
            tokio::spawn(vmmon::server::serve_unix(doors.unix, shared.clone(), stop_rx.clone())),
            tokio::spawn(vmmon::server::serve_tcp(doors.tcp, shared, stop_rx)),
        ];
        eprintln!(
            "vmmon agent: {} programs attached; API on {} (vmmon maps, vmmon top), metrics at http://{}/metrics",
            running.programs_attached(),
            doors.socket.display(),
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
        vmmon::server::remove_socket(&doors.socket, doors.socket_id);
        for server in servers {
            let _ = server.await;
        }
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

/// `/metrics` cannot tell who asks: with `/proc` hiding processes, its series would name
/// processes a user may not see. Says so when nothing guards it.
fn warn_of_open_metrics_under_hidepid(credentials: &Credentials) {
    let mount = vmmon::procfs::creds::proc_mount();
    if mount.hidepid != vmmon::access::Hidepid::Off && !credentials.metrics_auth {
        log::warn!(
            "/proc is mounted with hidepid=, but /metrics (which names processes by pid and comm) asks for no credentials: set api.metrics_auth"
        );
    }
}

/// On SIGHUP, reads the configuration again. A valid one updates what can change live (the
/// drift-check rate) and says what needs a restart; an invalid one is logged and the running
/// configuration kept.
async fn reload_on_sighup(
    mut hup: tokio::signal::unix::Signal,
    args: Args,
    mut running: Config,
    path: Option<PathBuf>,
    (owner, doors): (mpsc::Sender<Command>, Shared),
) {
    while hup.recv().await.is_some() {
        let new = match args.settings() {
            Ok((new, _)) => new,
            Err(e) => {
                log::error!("config reload failed, keeping the running config: {e:#}");
                continue;
            }
        };
        // The credentials' files are read again whatever changed: certificates and
        // passwords rotate without a restart.
        match Credentials::load(&new.api) {
            Ok(c) => doors.replace_credentials(c),
            Err(e) => {
                log::error!("config reload failed, keeping the running config: {e}");
                continue;
            }
        }
        let restart = new.agent.listen != running.agent.listen
            || new.pipeline != running.pipeline
            || new.api.socket != running.api.socket
            || new.api.tcp != running.api.tcp;
        if restart {
            log::warn!(
                "config reload: listen, api.socket, api.tcp and pipeline settings take effect at the next restart"
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
