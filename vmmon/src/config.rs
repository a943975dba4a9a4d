//! The agent's configuration: a TOML file (`/etc/vmmon/vmmon.toml` unless `--config PATH`),
//! every setting also a flag; flags override the file. Pure: text in, settings or a clear
//! error naming the file and the key out.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use vmmon_common::DEFAULT_RING_BYTES;

mod site_capture;

pub use site_capture::SiteCapture;

/// Where the agent looks for its configuration when no `--config` is given.
pub const DEFAULT_PATH: &str = "/etc/vmmon/vmmon.toml";

/// Every setting, with its default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub agent: AgentConfig,
    pub api: ApiConfig,
    pub pipeline: PipelineConfig,
    pub metrics: MetricsConfig,
}

/// `[metrics]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Processes with their own series, by virtual size, by growth and by mappings.
    pub top_k: usize,
    /// comm and unit groups with their own series; the rest are summed into "other".
    pub max_groups: usize,
    /// The window of the growth figures, in seconds.
    pub growth_window_seconds: u64,
    /// How long a group whose processes all exited keeps its series, in seconds.
    pub group_retention_seconds: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            top_k: 20,
            max_groups: 50,
            growth_window_seconds: 60,
            group_retention_seconds: 600,
        }
    }
}

/// `[agent]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// Where the HTTP API listens; loopback unless told otherwise.
    pub listen: String,
    /// Processes re-read from /proc each second to catch drift (round robin, a safety net:
    /// the checks against the kernel's figures ask for what they need).
    pub resyncs_per_second: u32,
    /// How often every process's figures are swept from the kernel, in milliseconds (0:
    /// never). A sweep catches what no event shows (a stack that grows).
    pub sweep_interval_ms: u64,
    /// Recent exits kept for `GET /api/v1/exits`.
    pub exits_kept: usize,
}

/// `[api]`: the two doors. The JSON API answers on a Unix socket, each client as `/proc`
/// would; `agent.listen` serves `/metrics`, `/healthz` and `/livez`, and the API too only
/// with `tcp` and credentials.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// The Unix socket of the JSON API (mode 0666: every local user may ask; the answers
    /// depend on who asks).
    pub socket: String,
    /// Also serve `/api/v1` on `agent.listen`, to clients with the credentials below.
    pub tcp: bool,
    /// A web configuration file in the Prometheus exporter-toolkit format: TLS
    /// (`tls_server_config`) and users (`basic_auth_users`, bcrypt hashes) for
    /// `agent.listen`; empty: none. Read again on reload.
    pub web_config_file: String,
    /// A file holding a bearer token a TCP client may give instead; empty: none. Read
    /// again on reload.
    pub bearer_token_file: String,
    /// `/metrics` asks for the same credentials as the API.
    pub metrics_auth: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            socket: DEFAULT_SOCKET.into(),
            tcp: false,
            web_config_file: String::new(),
            bearer_token_file: String::new(),
            metrics_auth: false,
        }
    }
}

/// Where the JSON API's socket is unless configured.
pub const DEFAULT_SOCKET: &str = "/run/vmmon/api.sock";

/// The longest path a Unix socket address holds (`sun_path`, less its NUL).
const SOCKET_PATH_MAX: usize = 107;

/// `[pipeline]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Size of the kernel ring buffer in bytes (a power of two, at least 4096).
    pub ring_buffer_bytes: u64,
    /// How often the ring buffer is drained, in milliseconds.
    pub poll_interval_ms: u64,
    /// Which growing calls (mmap, mremap, brk, shmat) have their call site captured: `off`,
    /// `all`, or those adding at least a size (`64KiB`).
    pub call_sites: SiteCapture,
    /// The most frames of a call site: its caller, then a frame-pointer walk above it.
    pub call_site_depth: u32,
    /// How much the thread that drains the ring and keeps the ledger is favoured by the
    /// scheduler (it runs at nice `-priority_boost`; 0: not at all), as auditd's
    /// `priority_boost`: when every CPU is busy, the consumer of every process's events must
    /// not wait behind the processes making them, or the ring overflows.
    pub priority_boost: u8,
}

impl Default for AgentConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".into(),
            resyncs_per_second: 20,
            sweep_interval_ms: 1000,
            exits_kept: 256,
        }
    }
}

/// [`PipelineConfig::priority_boost`] unless configured: nice -5, as the unit's `Nice=-5`.
pub const DEFAULT_PRIORITY_BOOST: u8 = 5;

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            ring_buffer_bytes: DEFAULT_RING_BYTES.into(),
            poll_interval_ms: 10,
            call_sites: SiteCapture::AtLeast(64 << 10),
            call_site_depth: vmmon_common::DEFAULT_SITE_DEPTH,
            priority_boost: DEFAULT_PRIORITY_BOOST,
        }
    }
}

/// What is wrong with a configuration. Each message names the file and, where there is one,
/// the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// `config file PATH`, or `command line`.
        origin: String,
        key: &'static str,
        message: String,
    },
}

/// A listen address that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    #[error("port {port} in {addr:?} is out of range 0..=65535")]
    PortOutOfRange { port: u64, addr: String },
    #[error("{0:?} is not an address:port such as 127.0.0.1:9464")]
    NotAnAddress(String),
}

impl Config {
    /// Parses and checks `text`, read from `path` (named in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            // toml's message spans lines (a source excerpt); the first line says it all.
            message: one_line(&e),
        })?;
        config.validate(&format!("config file {}", path.display()))?;
        Ok(config)
    }

    /// Loads the configuration: `explicit` must exist; the default path may be absent
    /// (then the defaults apply).
    pub fn load(explicit: Option<&Path>) -> Result<(Self, Option<PathBuf>), ConfigError> {
        let path = explicit.map_or_else(|| PathBuf::from(DEFAULT_PATH), Path::to_path_buf);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((Self::parse(&text, &path)?, Some(path))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                Ok((Self::default(), None))
            }
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Checks what types alone cannot; `origin` says where the values came from.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |key, message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            key,
            message,
        };
        let range = |key: &'static str, v: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(invalid(key, format!("{v} is out of range {lo}..={hi}")))
            }
        };
        self.listen_addr()
            .map_err(|e| invalid("agent.listen", e.to_string()))?;
        self.validate_api(&invalid)?;
        range(
            "agent.resyncs_per_second",
            self.agent.resyncs_per_second.into(),
            1,
            10_000,
        )?;
        range(
            "agent.sweep_interval_ms",
            self.agent.sweep_interval_ms,
            0,
            3_600_000,
        )?;
        range("agent.exits_kept", self.agent.exits_kept as u64, 0, 100_000)?;
        range(
            "pipeline.priority_boost",
            u64::from(self.pipeline.priority_boost),
            0,
            19,
        )?;
        crate::bpf::validate_ring_bytes(self.pipeline.ring_buffer_bytes)
            .map_err(|e| invalid("pipeline.ring_buffer_bytes", e.to_string()))?;
        range(
            "pipeline.poll_interval_ms",
            self.pipeline.poll_interval_ms,
            1,
            10_000,
        )?;
        range(
            "pipeline.call_site_depth",
            self.pipeline.call_site_depth.into(),
            1,
            vmmon_common::SITE_FRAMES as u64,
        )?;
        range("metrics.top_k", self.metrics.top_k as u64, 1, 1000)?;
        range(
            "metrics.max_groups",
            self.metrics.max_groups as u64,
            1,
            1000,
        )?;
        range(
            "metrics.group_retention_seconds",
            self.metrics.group_retention_seconds,
            0,
            7 * 86_400,
        )?;
        range(
            "metrics.growth_window_seconds",
            self.metrics.growth_window_seconds,
            2,
            86_400,
        )?;
        Ok(())
    }

    /// The API's settings: an absolute socket path that fits, and credentials for what asks
    /// for them.
    fn validate_api(
        &self,
        invalid: &dyn Fn(&'static str, String) -> ConfigError,
    ) -> Result<(), ConfigError> {
        let api = &self.api;
        if !api.socket.starts_with('/') || api.socket.len() > SOCKET_PATH_MAX {
            return Err(invalid(
                "api.socket",
                format!(
                    "{:?} is not an absolute path of at most {SOCKET_PATH_MAX} bytes",
                    api.socket
                ),
            ));
        }
        let credentials = !api.web_config_file.is_empty() || !api.bearer_token_file.is_empty();
        for (key, on) in [("api.tcp", api.tcp), ("api.metrics_auth", api.metrics_auth)] {
            if on && !credentials {
                return Err(invalid(
                    key,
                    "true needs credentials: set api.web_config_file (basic_auth_users) or api.bearer_token_file".into(),
                ));
            }
        }
        Ok(())
    }

    /// The listen address, or why it is not one.
    pub fn listen_addr(&self) -> Result<SocketAddr, AddrError> {
        let s = &self.agent.listen;
        if let Some((_, port)) = s.rsplit_once(':')
            && let Ok(n) = port.parse::<u64>()
            && n > u64::from(u16::MAX)
        {
            return Err(AddrError::PortOutOfRange {
                port: n,
                addr: s.clone(),
            });
        }
        s.parse().map_err(|_| AddrError::NotAnAddress(s.clone()))
    }

    /// Where a client reaches the agent: the listen address, with an unspecified one
    /// (`0.0.0.0`, `::`) turned into loopback.
    pub fn connect_addr(&self) -> Result<SocketAddr, AddrError> {
        Ok(match self.listen_addr()? {
            SocketAddr::V4(a) if a.ip().is_unspecified() => {
                SocketAddr::from(([127, 0, 0, 1], a.port()))
            }
            SocketAddr::V6(a) if a.ip().is_unspecified() => {
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, a.port()))
            }
            a => a,
        })
    }

    /// The settings as TOML, for `vmmon config check`.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("plain settings serialize")
    }
}

fn one_line(e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    match e.span() {
        Some(span) => format!("{message} (at byte {})", span.start),
        None => message,
    }
}

#[cfg(test)]
mod tests;
