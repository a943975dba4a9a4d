//! The credentials of the TCP door (I/O: reads the files the configuration names): TLS from
//! the web configuration file, its basic-auth users, a bearer token, and the check of a
//! request against them.

use super::web_config::{ClientAuth, TlsVersion, WebConfig};
use crate::config::ApiConfig;
use axum::http::HeaderMap;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::rustls;

/// A bcrypt hash checked when the user is unknown, so that an unknown user takes as long to
/// refuse as a wrong password.
const DUMMY_HASH: &str = "$2y$10$X0WzTgDtWYcIM2sWbnSBPu1x1mDcyzkU3IqR8ECxQ9c6j6W1L7FHK";

/// Why the credentials could not be loaded. One line, naming the file and the setting.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("{key}: cannot read {path}: {source}")]
    Read {
        key: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("api.web_config_file {path}: {message}")]
    WebConfig { path: PathBuf, message: String },
    #[error("api.bearer_token_file {0}: the file is empty")]
    EmptyToken(PathBuf),
    #[error(
        "{0}: the credentials configured name no one (a web config file with TLS alone): add basic_auth_users, client_auth_type RequireAndVerifyClientCert, or api.bearer_token_file"
    )]
    NoOne(&'static str),
}

/// What a TCP client must show, loaded.
#[derive(Default)]
pub struct Credentials {
    users: BTreeMap<String, String>,
    token: Option<String>,
    /// Every client showed a certificate the TLS handshake verified.
    client_certs: bool,
    /// The TLS settings of the TCP door; `None`: plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `/metrics` asks for them too.
    pub metrics_auth: bool,
}

impl Credentials {
    /// Loads what `api` names; checks that what asks for credentials has some.
    pub fn load(api: &ApiConfig) -> Result<Self, CredentialsError> {
        let mut c = Credentials {
            metrics_auth: api.metrics_auth,
            ..Self::default()
        };
        if !api.web_config_file.is_empty() {
            let path = PathBuf::from(&api.web_config_file);
            let text = read("api.web_config_file", &path)?;
            let web = WebConfig::parse(&text).map_err(|message| CredentialsError::WebConfig {
                path: path.clone(),
                message,
            })?;
            c.client_certs = web.has_credentials() && web.basic_auth_users.is_empty();
            c.users = web.basic_auth_users;
            if let Some(tls) = &web.tls_server_config {
                let config = tls_config(tls).map_err(|message| CredentialsError::WebConfig {
                    path: path.clone(),
                    message,
                })?;
                c.tls = Some(Arc::new(config));
            }
        }
        if !api.bearer_token_file.is_empty() {
            let path = PathBuf::from(&api.bearer_token_file);
            let token = read("api.bearer_token_file", &path)?.trim().to_string();
            if token.is_empty() {
                return Err(CredentialsError::EmptyToken(path));
            }
            c.token = Some(token);
        }
        for (key, on) in [("api.tcp", api.tcp), ("api.metrics_auth", api.metrics_auth)] {
            if on && !c.names_someone() {
                return Err(CredentialsError::NoOne(key));
            }
        }
        Ok(c)
    }

    /// Whether anyone is named: users, a token, or required client certificates.
    pub fn names_someone(&self) -> bool {
        !self.users.is_empty() || self.token.is_some() || self.client_certs
    }

    /// Whether a request with `headers`, over TLS or not (`tls`), shows the credentials
    /// (blocking: a bcrypt check takes tens of milliseconds; call it off the async workers).
    /// A required client certificate counts only on a connection that came over TLS under
    /// it (not a plain one accepted before a reload turned TLS on).
    pub fn allows(&self, headers: &HeaderMap, tls: bool) -> bool {
        if self.client_certs && tls {
            return true;
        }
        let Some(value) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        if let (Some(token), Some(given)) = (&self.token, value.strip_prefix("Bearer ")) {
            use subtle::ConstantTimeEq as _;
            return bool::from(token.as_bytes().ct_eq(given.trim().as_bytes()));
        }
        match value.strip_prefix("Basic ").and_then(basic) {
            Some((user, password)) => {
                let hash = self.users.get(&user);
                let ok = bcrypt::verify(&password, hash.map_or(DUMMY_HASH, String::as_str));
                hash.is_some() && ok.unwrap_or(false)
            }
            None => false,
        }
    }
}

fn read(key: &'static str, path: &std::path::Path) -> Result<String, CredentialsError> {
    std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
        key,
        path: path.to_path_buf(),
        source,
    })
}

/// `user:password` from a basic credential's base64.
fn basic(encoded: &str) -> Option<(String, String)> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The rustls server settings of `tls_server_config`; errors name the file or the key.
fn tls_config(tls: &super::web_config::TlsServerConfig) -> Result<rustls::ServerConfig, String> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&tls.cert_file)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("tls_server_config.cert_file {}: {e}", tls.cert_file))?;
    if certs.is_empty() {
        return Err(format!(
            "tls_server_config.cert_file {}: no certificate in it",
            tls.cert_file
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key_file)
        .map_err(|e| format!("tls_server_config.key_file {}: {e}", tls.key_file))?;
    // ring: no C toolchain to build (aws-lc-rs needs CMake), at the price of no
    // post-quantum key exchange, which rustls now flags.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match tls.min_version {
        Some(TlsVersion::TLS13) => &[&rustls::version::TLS13],
        _ => &[&rustls::version::TLS12, &rustls::version::TLS13],
    };
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .map_err(|e| format!("tls_server_config.min_version: {e}"))?;
    let builder = match tls.client_auth_type {
        ClientAuth::NoClientCert => builder.with_no_client_auth(),
        auth => builder.with_client_cert_verifier(client_verifier(tls, auth, provider)?),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("tls_server_config: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Checks client certificates against `client_ca_file`.
fn client_verifier(
    tls: &super::web_config::TlsServerConfig,
    auth: ClientAuth,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let at = |e: &dyn std::fmt::Display| {
        format!(
            "tls_server_config.client_ca_file {}: {e}",
            tls.client_ca_file
        )
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&tls.client_ca_file).map_err(|e| at(&e))? {
        roots.add(cert.map_err(|e| at(&e))?).map_err(|e| at(&e))?;
    }
    let builder =
        rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
    let builder = match auth {
        ClientAuth::VerifyClientCertIfGiven => builder.allow_unauthenticated(),
        _ => builder,
    };
    builder.build().map_err(|e| at(&e))
}

#[cfg(test)]
mod tests;
