//! Writing what call sites hold to files the ecosystem's tools read: a pprof profile
//! (`--pprof FILE`) and a flame graph (`--flamegraph FILE.svg`), as the agent renders them.
//! Shared by `vmmon maps --by-site` and `vmmon profile`.

use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use vmmon::client::{Client, ClientError};

/// The files asked for.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ProfileFiles {
    /// Write a pprof heap profile (gzipped profile.proto; sample types inuse_objects, the
    /// mappings, and inuse_space, the bytes) to PATH: `go tool pprof -top PATH`.
    #[arg(long, value_name = "PATH")]
    pub pprof: Option<PathBuf>,
    /// Write a flame graph (SVG, root to leaf, widths in bytes still mapped) to PATH.
    #[arg(long, value_name = "PATH")]
    pub flamegraph: Option<PathBuf>,
}

impl ProfileFiles {
    /// Whether any file is asked for.
    pub fn any(&self) -> bool {
        self.pprof.is_some() || self.flamegraph.is_some()
    }

    /// Fetches each asked file from `path` (an API path that takes `format=`, with its query
    /// begun by `query`) and writes it; says on stderr what it wrote.
    pub fn write(
        &self,
        client: &Client,
        path: &str,
        map_err: impl Fn(ClientError) -> anyhow::Error,
    ) -> Result<()> {
        for (file, format, what) in [
            (&self.pprof, "pprof", "pprof heap profile"),
            (&self.flamegraph, "flamegraph", "flame graph"),
        ] {
            let Some(file) = file else { continue };
            let sep = if path.contains('?') { '&' } else { '?' };
            let bytes = client
                .get_bytes(&format!("{path}{sep}format={format}"))
                .map_err(&map_err)?;
            write_file(file, &bytes)?;
            eprintln!("wrote {} ({what}, {} bytes)", file.display(), bytes.len());
        }
        Ok(())
    }
}

fn write_file(file: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(file, bytes).with_context(|| format!("cannot write {}", file.display()))
}
