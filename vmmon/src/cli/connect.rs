//! Where `vmmon maps` and `vmmon top` find the agent: its API's Unix socket by default
//! (`api.socket` from the configuration), or `--connect SOCKET|HOST:PORT`, with a bearer
//! token for a TCP door that asks for one.

use anyhow::{Context as _, Result, anyhow, bail};
use std::path::PathBuf;
use std::time::Duration;
use vmmon::client::{Client, Endpoint};
use vmmon::config::Config;

#[derive(clap::Args)]
pub struct ConnectArgs {
    /// The agent's API: its Unix socket (a path), or HOST:PORT where it serves the API over
    /// TCP (api.tcp).
    #[arg(long, value_name = "SOCKET|HOST:PORT")]
    pub connect: Option<String>,
    /// A file holding the bearer token of a TCP door (api.bearer_token_file).
    #[arg(long, value_name = "PATH", requires = "connect")]
    pub token_file: Option<PathBuf>,
    /// The configuration file whose api.socket is where the agent is looked for.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

impl ConnectArgs {
    /// The endpoint asked: `--connect`, checked, else the configuration's socket.
    pub fn endpoint(&self) -> Result<String> {
        let Some(c) = &self.connect else {
            let (config, _) = Config::load(self.config.as_deref())?;
            return Ok(config.api.socket);
        };
        if let Endpoint::Tcp(addr) = Endpoint::parse(c) {
            let ok = addr
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                bail!(
                    "--connect {c:?} is neither a socket path nor HOST:PORT (like /run/vmmon/api.sock or 127.0.0.1:9464)"
                );
            }
        }
        Ok(c.clone())
    }

    /// A client of that endpoint, with the token if one is given.
    pub fn client(&self, timeout: Duration) -> Result<Client> {
        let token = match &self.token_file {
            None => None,
            Some(p) => {
                let t = std::fs::read_to_string(p)
                    .with_context(|| format!("--token-file {}", p.display()))?;
                let t = t.trim().to_string();
                if t.is_empty() {
                    return Err(anyhow!("--token-file {}: the file is empty", p.display()));
                }
                Some(t)
            }
        };
        Ok(Client::new(&self.endpoint()?, timeout).with_token(token))
    }
}
