//! Who is told what, with the real programs: each client of the API's socket is answered as
//! `/proc` would answer it (root everything; `nobody` every process's numbers but only its
//! own processes' regions, sites and events; a `/proc` mounted `hidepid=2` hides the rest);
//! the TCP door serves `/metrics` and the API only with credentials (TLS, basic auth, a
//! bearer token, read again on reload); half-open clients hold up neither `/healthz` nor a
//! stop.

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use vmmon_integration_tests::agent::{
    Agent, Killed, Launch, tcp_get, vmmon, vmmon_bin, wait_until,
};
use vmmon_integration_tests::collect::require_root;
use vmmon_integration_tests::output::said;

/// `nobody`, as setpriv makes a process of it.
const NOBODY: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

/// Runs `program args` as nobody.
fn as_nobody(program: &str, args: &[&str]) -> Output {
    Command::new(NOBODY[0])
        .args(&NOBODY[1..])
        .arg(program)
        .args(args)
        .output()
        .unwrap()
}

/// `GET path` on `socket` as nobody (curl): the status code and the body.
fn nobody_asks(socket: &str, path: &str) -> (u16, String) {
    let url = format!("http://localhost{path}");
    let out = as_nobody(
        "curl",
        &[
            "-s",
            "-m",
            "10",
            "-w",
            "\n%{http_code}",
            "--unix-socket",
            socket,
            &url,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

/// A `sleep` run by root, and one run by nobody.
fn sleepers() -> (Killed, Killed) {
    let root = Command::new("sleep").arg("600").spawn().unwrap();
    let nobody = Command::new(NOBODY[0])
        .args(&NOBODY[1..])
        .args(["sleep", "600"])
        .spawn()
        .unwrap();
    (Killed(root), Killed(nobody))
}

/// Waits until the agent's ledger holds `pid`.
fn in_ledger(agent: &Agent, pid: u32) {
    wait_until(
        "the ledger to hold the process",
        Duration::from_secs(30),
        || (agent.get(&format!("/api/v1/processes/{pid}")).0 == 200).then_some(()),
    );
}

#[test]
fn real_ebpf_each_user_is_told_what_proc_would_tell_them() {
    let agent = Agent::start();
    let (root, nobody) = sleepers();
    in_ledger(&agent, root.pid());
    in_ledger(&agent, nobody.pid());
    let details = ["/maps", "/sites", "/events"];

    // nobody: root's process's figures, not its regions, sites or events.
    let (code, body) = nobody_asks(&agent.socket, &format!("/api/v1/processes/{}", root.pid()));
    assert_eq!(code, 200, "{body}");
    let figures: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(figures["virtual_bytes"].as_u64().unwrap() > 0, "{figures}");
    for tail in details {
        let (code, body) = nobody_asks(
            &agent.socket,
            &format!("/api/v1/processes/{}{tail}", root.pid()),
        );
        assert_eq!(code, 403, "{tail}: {body}");
        assert!(body.contains("is not yours"), "{body}");
    }
    // ... and through TCP nothing of the API at all.
    let url = format!("http://{}/api/v1/processes/{}/maps", agent.addr, root.pid());
    let out = as_nobody("curl", &["-s", "-m", "10", &url]);
    let text = said(&out);
    assert!(
        text.contains(&agent.socket) && text.contains("api.tcp") && !text.contains("sleep"),
        "{text}"
    );
    let (code, _) = tcp_get(&format!("http://{}/metrics", agent.addr), &[]);
    assert_eq!(code, 200, "/metrics is for everyone on TCP");

    // nobody: its own process in full, through vmmon maps as a user runs it.
    let bin = vmmon_bin().display().to_string();
    let connect = ["--connect", agent.socket.as_str()];
    let own = nobody.pid().to_string();
    let out = as_nobody(&bin, &[&["maps", own.as_str()][..], &connect].concat());
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("/sleep"), "{}", said(&out));
    let theirs = root.pid().to_string();
    let out = as_nobody(&bin, &[&["maps", theirs.as_str()][..], &connect].concat());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("is not yours"), "{err}");

    // root: everything.
    for tail in details {
        let (code, body) = agent.get_text(&format!("/api/v1/processes/{}{tail}", root.pid()));
        assert_eq!(code, 200, "{tail}: {body}");
    }
    let out = vmmon()
        .args(["maps", &theirs, "--connect", &agent.socket])
        .output()
        .unwrap();
    assert!(said(&out).contains("/sleep"), "{}", said(&out));
}

#[test]
fn real_ebpf_a_proc_mounted_hidepid_hides_other_users_processes() {
    require_root();
    // The agent in a mount namespace of its own with a /proc of its own (a new instance:
    // the host's keeps its options).
    let wrapper = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "mount -t proc -o hidepid=2 proc /proc || exit 99; exec \"$@\"",
        "sh",
    ];
    let agent = Launch::new().wrapper(&wrapper).start();
    let (root, nobody) = sleepers();
    in_ledger(&agent, root.pid());
    in_ledger(&agent, nobody.pid());
    let (code, body) = nobody_asks(&agent.socket, "/api/v1/processes");
    assert_eq!(code, 200, "{body}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let pids: Vec<u64> = listed.iter().filter_map(|p| p["pid"].as_u64()).collect();
    assert!(pids.contains(&u64::from(nobody.pid())), "its own: {pids:?}");
    assert!(
        !pids.contains(&u64::from(root.pid())),
        "root's is hidden: {pids:?}"
    );
    assert!(
        listed.iter().all(|p| p["uid"] != 0),
        "no root process: {body}"
    );
    let (code, body) = nobody_asks(&agent.socket, &format!("/api/v1/processes/{}", root.pid()));
    assert_eq!(code, 404, "as /proc/PID is not there: {body}");
    let (code, body) = nobody_asks(&agent.socket, "/metrics");
    assert_eq!(code, 403, "/metrics names every process: {body}");
    let (_, all) = agent.get("/api/v1/processes");
    let all: Vec<u64> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["pid"].as_u64())
        .collect();
    assert!(
        all.contains(&u64::from(root.pid())),
        "root sees every process"
    );
}

/// A directory of this test's own, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vmmon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed certificate for 127.0.0.1 and its key, in `dir`.
fn certificate(dir: &Path) -> (String, String) {
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=vmmon-test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (cargo xtask setup installs it)");
    assert!(out.status.success(), "openssl: {}", said(&out));
    (cert.display().to_string(), key.display().to_string())
}

/// `GET url` over TLS with curl, trusting `ca`: the status code, or 0 when no HTTP answer.
fn curl_tls(url: &str, ca: &str, extra: &[&str]) -> u16 {
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-m",
            "10",
            "-w",
            "%{http_code}",
            "--cacert",
            ca,
        ])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn real_ebpf_the_tcp_api_answers_only_those_with_credentials() {
    let dir = Scratch::new("tcp-door");
    let (cert, key) = certificate(&dir.0);
    let hash = bcrypt::hash("s3cret", 4).unwrap();
    let web = dir.write(
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n\
             basic_auth_users:\n  prometheus: {hash}\n"
        ),
    );
    let token = dir.write("token", "tok-1\n");
    let agent = Launch::new()
        .args(&[
            "--api-tcp",
            "--web-config-file",
            &web,
            "--bearer-token-file",
            &token,
        ])
        .start();
    let api = format!("https://{}/api/v1/status", agent.addr);
    assert_eq!(curl_tls(&api, &cert, &[]), 401, "no credentials");
    assert_eq!(
        curl_tls(&api, &cert, &["-u", "prometheus:wrong"]),
        401,
        "a wrong password"
    );
    assert_eq!(
        curl_tls(&api, &cert, &["-u", "root:s3cret"]),
        401,
        "an unknown user"
    );
    assert_eq!(
        curl_tls(&api, &cert, &["-u", "prometheus:s3cret"]),
        200,
        "the right one"
    );
    let bearer = |t: &str| format!("Authorization: Bearer {t}");
    assert_eq!(
        curl_tls(&api, &cert, &["-H", &bearer("tok-1")]),
        200,
        "the token"
    );
    assert_eq!(
        curl_tls(&api, &cert, &["-H", &bearer("tok-2")]),
        401,
        "a wrong token"
    );
    let metrics = format!("https://{}/metrics", agent.addr);
    assert_eq!(
        curl_tls(&metrics, &cert, &[]),
        200,
        "/metrics needs none by default"
    );
    let plain = format!("http://{}/api/v1/status", agent.addr);
    assert_eq!(
        curl_tls(&plain, &cert, &["-u", "prometheus:s3cret"]),
        0,
        "TLS only"
    );

    // The token rotates with a reload, no restart.
    std::fs::write(&token, "tok-2\n").unwrap();
    agent.signal(libc::SIGHUP);
    wait_until("the new token is in force", Duration::from_secs(15), || {
        (curl_tls(&api, &cert, &["-H", &bearer("tok-2")]) == 200).then_some(())
    });
    assert_eq!(
        curl_tls(&api, &cert, &["-H", &bearer("tok-1")]),
        401,
        "the old one is gone"
    );
}

/// `vmmon agent ARGS` fails before loading anything: one line naming `names`.
fn refused_at_start(args: &[&str], names: &[&str]) {
    let out = vmmon().arg("agent").args(args).output().unwrap();
    assert!(!out.status.success(), "it started with {args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for n in names {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
}

#[test]
fn the_tcp_api_without_credentials_or_with_a_broken_web_config_does_not_start() {
    refused_at_start(&["--api-tcp"], &["api.tcp", "credentials"]);
    let dir = Scratch::new("bad-web-config");
    let bad = dir.write("web.yml", "basic_auth_users:\n  admin: hunter2\n");
    refused_at_start(
        &["--api-tcp", "--web-config-file", &bad],
        &["api.web_config_file", &bad, "admin", "bcrypt"],
    );
    let broken = dir.write("broken.yml", "tls_server_config: [\n");
    refused_at_start(
        &["--web-config-file", &broken],
        &["api.web_config_file", &broken],
    );
    let tls_only = dir.write(
        "tls.yml",
        "tls_server_config:\n  cert_file: /nonexistent/c\n  key_file: k\n",
    );
    refused_at_start(
        &["--web-config-file", &tls_only],
        &["cert_file /nonexistent/c"],
    );
}

/// Opens `n` connections to `socket`, each with half a request sent (those the agent closed
/// at once, past its bounds, take no more).
fn half_open(socket: &str, n: usize) -> Vec<UnixStream> {
    (0..n)
        .map(|_| {
            let mut s = UnixStream::connect(socket).unwrap();
            let _ = s.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n");
            s
        })
        .collect()
}

/// Raises this process's soft limit on open files to its hard one.
fn room_for_files() {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointers to a struct of the right type.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        l.rlim_cur = l.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &l);
    }
}

/// What a client that arrives at `socket` gets: an HTTP status line, or how it was refused.
/// Never a wait past the read limit: that would be a client left hanging.
fn arrive(socket: &str) -> Result<String, String> {
    let mut s = UnixStream::connect(socket).map_err(|e| format!("refused: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let _ = s.write_all(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut reply = Vec::new();
    match s.read_to_end(&mut reply) {
        Ok(_) if reply.is_empty() => Err("closed".into()),
        Ok(_) => Ok(String::from_utf8_lossy(&reply)
            .lines()
            .next()
            .unwrap_or_default()
            .into()),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok("HANGING".into()),
        Err(e) => Err(format!("reset: {e}")),
    }
}

#[test]
fn real_ebpf_half_open_clients_starve_neither_health_nor_a_stop() {
    room_for_files();
    let mut agent = Agent::start();
    let held = half_open(&agent.socket, 1100);
    let fds = std::fs::read_dir(format!("/proc/{}/fd", agent.pid()))
        .unwrap()
        .count();
    assert!(fds < 600, "the agent holds {fds} files for 1,100 clients");
    let (code, body) = tcp_get(&format!("http://{}/healthz", agent.addr), &[]);
    assert_eq!(
        (code, body.as_str()),
        (200, "ok\n"),
        "health answers meanwhile"
    );
    // The flood's own refusals (each closed within a second) done, a client past the bound
    // is told so at once.
    std::thread::sleep(Duration::from_millis(1500));
    let busy = arrive(&agent.socket);
    assert!(
        busy.as_ref().is_ok_and(|l| l.contains("503")),
        "past the bound a client is refused at once: {busy:?}"
    );
    // SIGTERM with the clients still there; one more client arrives meanwhile.
    let socket = agent.socket.clone();
    let late = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        arrive(&socket)
    });
    let status = agent.stop_within(Duration::from_secs(15));
    assert!(
        status.is_some_and(|s| s.success()),
        "the agent did not stop: {status:?}"
    );
    let late = late.join().unwrap();
    assert_ne!(late.as_deref(), Ok("HANGING"), "a client was left hanging");
    drop(held);
    assert!(
        !Path::new(&agent.socket).exists(),
        "the socket is removed when the agent stops"
    );
}
