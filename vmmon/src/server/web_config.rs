//! The web configuration file, in the format of the Prometheus exporter-toolkit
//! (`--web.config.file`), so that one file and one habit serve every exporter on a machine.
//! Pure: text in, settings or a one-line error naming the key out.

use serde::Deserialize;
use std::collections::BTreeMap;

/// What the file says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    pub tls_server_config: Option<TlsServerConfig>,
    /// User name to bcrypt hash.
    pub basic_auth_users: BTreeMap<String, String>,
    /// Accepted for compatibility; vmmon serves HTTP/1.1 and no extra headers.
    pub http_server_config: Option<serde_yaml_ng::Value>,
}

/// `tls_server_config`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsServerConfig {
    pub cert_file: String,
    pub key_file: String,
    pub client_auth_type: ClientAuth,
    pub client_ca_file: String,
    pub min_version: Option<TlsVersion>,
}

/// `client_auth_type`: whether clients must show a certificate signed by `client_ca_file`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum ClientAuth {
    #[default]
    NoClientCert,
    /// A client that shows a certificate must show a valid one.
    VerifyClientCertIfGiven,
    /// Every client shows a valid certificate: a credential in itself.
    RequireAndVerifyClientCert,
}

/// `min_version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum TlsVersion {
    TLS12,
    TLS13,
}

impl WebConfig {
    /// Parses the file's text; errors are one line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: WebConfig = serde_yaml_ng::from_str(text).map_err(|e| one_line(&e))?;
        config.check()?;
        Ok(config)
    }

    /// What types alone cannot check.
    fn check(&self) -> Result<(), String> {
        for (user, hash) in &self.basic_auth_users {
            if !(hash.starts_with("$2") && hash.len() == 60) {
                return Err(format!(
                    "basic_auth_users: {user:?}: not a bcrypt hash (make one with `htpasswd -nBC 10 {user}`)"
                ));
            }
        }
        if let Some(tls) = &self.tls_server_config {
            if tls.cert_file.is_empty() || tls.key_file.is_empty() {
                return Err("tls_server_config: cert_file and key_file are both required".into());
            }
            if tls.client_auth_type != ClientAuth::NoClientCert && tls.client_ca_file.is_empty() {
                return Err(format!(
                    "tls_server_config: client_auth_type {:?} needs client_ca_file",
                    tls.client_auth_type
                ));
            }
        }
        Ok(())
    }

    /// Whether it names who may ask: users, or client certificates that every client must
    /// show.
    pub fn has_credentials(&self) -> bool {
        !self.basic_auth_users.is_empty()
            || self
                .tls_server_config
                .as_ref()
                .is_some_and(|t| t.client_auth_type == ClientAuth::RequireAndVerifyClientCert)
    }
}

fn one_line(e: &serde_yaml_ng::Error) -> String {
    let message = e.to_string();
    message.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests;
