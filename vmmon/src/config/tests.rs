use super::*;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(text, Path::new("/etc/vmmon/vmmon.toml")).map_err(|e| e.to_string())
}

#[test]
fn empty_file_gives_defaults() {
    assert_eq!(parse("").unwrap(), Config::default());
    assert_eq!(Config::default().listen_addr().unwrap().port(), 9464);
}

#[test]
fn settings_are_read() {
    let c = parse(
        "[agent]\nlisten = \"0.0.0.0:9500\"\nresyncs_per_second = 5\n\
             [pipeline]\nring_buffer_bytes = 16777216\n",
    )
    .unwrap();
    assert_eq!(c.agent.listen, "0.0.0.0:9500");
    assert_eq!(c.agent.resyncs_per_second, 5);
    assert_eq!(c.pipeline.ring_buffer_bytes, 16 << 20);
    assert_eq!(
        c.pipeline.poll_interval_ms, 10,
        "unset keys keep their default"
    );
    assert_eq!(parse(&c.to_toml()).unwrap(), c, "check's output reads back");
}

#[test]
fn errors_name_the_file_and_the_key() {
    let e = parse("[agent]\nlisten = \"127.0.0.1:70000\"\n").unwrap_err();
    assert!(
        e.contains("/etc/vmmon/vmmon.toml") && e.contains("agent.listen"),
        "{e}"
    );
    assert!(e.contains("port 70000"), "{e}");
    let e = parse("[agent]\nlisten_addr = \"x\"\n").unwrap_err();
    assert!(e.contains("unknown field `listen_addr`"), "{e}");
    let e = parse("[agent]\nresyncs_per_second = \"fast\"\n").unwrap_err();
    assert!(e.contains("invalid type"), "{e}");
    let e = parse("[agent\n").unwrap_err();
    assert!(e.starts_with("config file /etc/vmmon/vmmon.toml:"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
    let e = parse("[pipeline]\nring_buffer_bytes = 1000\n").unwrap_err();
    assert!(e.contains("pipeline.ring_buffer_bytes"), "{e}");
    let e = parse("[metrics]\ntop_k = 0\n").unwrap_err();
    assert!(e.contains("metrics.top_k"), "{e}");
    let e = parse("[agent]\nresyncs_per_second = 0\n").unwrap_err();
    assert!(e.contains("agent.resyncs_per_second"), "{e}");
    let e = parse("[agent]\nlisten = \"localhost\"\n").unwrap_err();
    assert!(e.contains("not an address:port"), "{e}");
}

#[test]
fn clients_reach_an_unspecified_listen_address_on_loopback() {
    let c = parse("[agent]\nlisten = \"0.0.0.0:9500\"\n").unwrap();
    assert_eq!(c.connect_addr().unwrap().to_string(), "127.0.0.1:9500");
    let c = parse("[agent]\nlisten = \"[::]:9500\"\n").unwrap();
    assert_eq!(c.connect_addr().unwrap().to_string(), "[::1]:9500");
    let c = parse("[agent]\nlisten = \"10.0.0.2:9464\"\n").unwrap();
    assert_eq!(c.connect_addr().unwrap().to_string(), "10.0.0.2:9464");
}

/// The shipped configuration file lists every setting with its default: it must say
/// what this module says.
#[test]
fn the_shipped_config_file_holds_the_defaults() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/vmmon.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(Config::parse(&text, &path).unwrap(), Config::default());
    for line in Config::default().to_toml().lines() {
        if let Some((key, _)) = line.split_once(" = ") {
            assert!(
                text.lines().any(|l| l.starts_with(&format!("{key} = "))),
                "{} does not list {key}",
                path.display()
            );
        }
    }
}

#[test]
fn explicit_missing_path_is_an_error() {
    let e = Config::load(Some(Path::new("/nonexistent/vmmon.toml"))).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot read config file /nonexistent/vmmon.toml")
    );
}
