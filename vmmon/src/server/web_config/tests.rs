use super::*;

const HASH: &str = "$2y$10$X0WzTgDtWYcIM2sWbnSBPu1x1mDcyzkU3IqR8ECxQ9c6j6W1L7FHK";

#[test]
fn the_exporter_toolkit_format_is_read() {
    let text = format!(
        "tls_server_config:\n  cert_file: /etc/vmmon/tls.crt\n  key_file: /etc/vmmon/tls.key\n  \
             min_version: TLS13\nbasic_auth_users:\n  prometheus: {HASH}\n\
             http_server_config:\n  http2: false\n"
    );
    let c = WebConfig::parse(&text).unwrap();
    let tls = c.tls_server_config.as_ref().unwrap();
    assert_eq!(tls.cert_file, "/etc/vmmon/tls.crt");
    assert_eq!(tls.min_version, Some(TlsVersion::TLS13));
    assert_eq!(c.basic_auth_users["prometheus"], HASH);
    assert!(c.has_credentials());
}

#[test]
fn tls_alone_names_no_one_but_required_client_certificates_do() {
    let tls = "tls_server_config:\n  cert_file: a\n  key_file: b\n";
    assert!(!WebConfig::parse(tls).unwrap().has_credentials());
    let mtls =
        format!("{tls}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca\n");
    assert!(WebConfig::parse(&mtls).unwrap().has_credentials());
    assert!(!WebConfig::parse("").unwrap().has_credentials());
}

#[test]
fn mistakes_are_one_line_naming_the_key() {
    let e = WebConfig::parse("basic_auth_users:\n  admin: hunter2\n").unwrap_err();
    assert!(e.contains("admin") && e.contains("bcrypt"), "{e}");
    let e = WebConfig::parse("tls_server_config:\n  cert_file: a\n").unwrap_err();
    assert!(e.contains("key_file"), "{e}");
    let e = WebConfig::parse("tls_config:\n  cert_file: a\n").unwrap_err();
    assert!(e.contains("tls_config"), "{e}");
    let e = WebConfig::parse("basic_auth_users: [\n").unwrap_err();
    assert_eq!(e.lines().count(), 1, "{e}");
    let e = WebConfig::parse(
            "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n",
        )
        .unwrap_err();
    assert!(e.contains("client_ca_file"), "{e}");
}
