use super::*;
use axum::http::HeaderValue;

fn with(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        axum::http::header::AUTHORIZATION,
        HeaderValue::from_str(value).unwrap(),
    );
    h
}

impl Credentials {
    fn allows_plain(&self, headers: &HeaderMap) -> bool {
        self.allows(headers, false)
    }
}

#[test]
fn a_client_certificate_counts_only_over_tls() {
    let c = Credentials {
        client_certs: true,
        ..Credentials::default()
    };
    assert!(c.allows(&HeaderMap::new(), true));
    assert!(!c.allows(&HeaderMap::new(), false));
}

fn basic_header(user: &str, password: &str) -> HeaderMap {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    with(&format!("Basic {encoded}"))
}

#[test]
fn users_and_tokens_are_checked() {
    let c = Credentials {
        users: [("prometheus".to_string(), bcrypt::hash("s3cret", 4).unwrap())].into(),
        token: Some("tok-123".into()),
        ..Credentials::default()
    };
    assert!(c.names_someone());
    assert!(c.allows_plain(&basic_header("prometheus", "s3cret")));
    assert!(!c.allows_plain(&basic_header("prometheus", "wrong")));
    assert!(!c.allows_plain(&basic_header("nobody", "s3cret")));
    assert!(c.allows_plain(&with("Bearer tok-123")));
    assert!(!c.allows_plain(&with("Bearer tok-12")));
    assert!(!c.allows_plain(&with("Basic !!!")));
    assert!(!c.allows_plain(&HeaderMap::new()));
}

#[test]
fn no_credentials_allow_no_one() {
    let c = Credentials::default();
    assert!(!c.names_someone());
    assert!(!c.allows_plain(&with("Bearer ")));
}

#[test]
fn missing_files_and_empty_tokens_are_one_line() {
    let api = ApiConfig {
        tcp: true,
        bearer_token_file: "/nonexistent/token".into(),
        ..ApiConfig::default()
    };
    let e = Credentials::load(&api).err().unwrap().to_string();
    assert!(
        e.starts_with("api.bearer_token_file: cannot read /nonexistent/token"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("vmmon-cred-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("token");
    std::fs::write(&empty, "\n").unwrap();
    let api = ApiConfig {
        bearer_token_file: empty.display().to_string(),
        ..api
    };
    let e = Credentials::load(&api).err().unwrap().to_string();
    assert!(e.contains("the file is empty"), "{e}");
    let web = dir.join("web.yml");
    std::fs::write(
        &web,
        "tls_server_config:\n  cert_file: /nonexistent/c\n  key_file: k\n",
    )
    .unwrap();
    let api = ApiConfig {
        bearer_token_file: String::new(),
        web_config_file: web.display().to_string(),
        ..api
    };
    let e = Credentials::load(&api).err().unwrap().to_string();
    assert!(e.contains("cert_file /nonexistent/c"), "{e}");
    assert_eq!(e.lines().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
