//! The API's Unix socket: made (mode 0666, in a directory made if missing), refused when
//! another agent answers there, removed when the agent stops.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// Why the socket could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error("api.socket {path}: another vmmon agent answers there; stop it or set api.socket")]
    Taken { path: PathBuf },
    #[error("api.socket {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Binds the socket at `path`, mode 0666 (set explicitly: a unit's `UMask=0077` would make
/// it 0600); its device and inode, to remove only this one at the end.
pub fn bind_socket(path: &Path) -> Result<(tokio::net::UnixListener, (u64, u64)), SocketError> {
    let io = |source| SocketError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent()
        && !dir.exists()
    {
        std::fs::create_dir_all(dir).map_err(io)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(SocketError::Taken {
                path: path.to_path_buf(),
            });
        }
        // Left by an agent that did not stop cleanly.
        std::fs::remove_file(path).map_err(io)?;
    }
    let listener = tokio::net::UnixListener::bind(path).map_err(io)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).map_err(io)?;
    let meta = std::fs::metadata(path).map_err(io)?;
    Ok((listener, (meta.dev(), meta.ino())))
}

/// Removes the socket at `path` if it is still the one bound (`id`).
pub fn remove_socket(path: &Path, id: (u64, u64)) {
    if let Ok(meta) = std::fs::metadata(path)
        && (meta.dev(), meta.ino()) == id
    {
        let _ = std::fs::remove_file(path);
    }
}
