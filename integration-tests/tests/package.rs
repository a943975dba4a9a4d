//! The `.deb` as Debian installs it, under a real systemd: a minimal Debian 12 (debootstrap
//! `minbase` with systemd, cached under `/var/cache/vmmon-tests`) booted with
//! `systemd-nspawn -b` from a fresh snapshot each run. nspawn's own seccomp filter refuses
//! `bpf(2)`, so it runs with `SYSTEMD_SECCOMP=0`: the unit's own filter is what is tested.
//! `/sys/kernel/btf` and tracefs (mounted on the host first, as systemd does) are bound in
//! read-only: the syscall programs attach by their tracepoints' ids.
//! Install, enable, reload with a changed setting, upgrade, remove and purge, each checked
//! through systemd and through the agent's API (on its socket in the container's `/run`,
//! reached through the container's root; its `/metrics` on the host's network).
//! The container is torn down however the test ends.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use vmmon_integration_tests::collect::require_root;
use vmmon_integration_tests::output::{said, xtask};

const CACHE: &str = "/var/cache/vmmon-tests/debian12-minbase";
const MIRROR: &str = "http://deb.debian.org/debian";

/// The cached minimal root, made once with debootstrap.
fn cached_root() -> PathBuf {
    let root = PathBuf::from(CACHE);
    if root.join("sbin/init").exists() {
        return root;
    }
    let partial = PathBuf::from(format!("{CACHE}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(partial.parent().unwrap()).unwrap();
    let out = Command::new("debootstrap")
        .args([
            "--variant=minbase",
            "--include=systemd,systemd-sysv",
            "bookworm",
        ])
        .arg(&partial)
        .arg(MIRROR)
        .output()
        .expect("debootstrap (cargo xtask test installs it)");
    assert!(out.status.success(), "debootstrap failed: {}", said(&out));
    std::fs::rename(&partial, &root).unwrap();
    root
}

/// A booted container; powered off and removed when dropped, also after a failed assertion.
struct Container {
    nspawn: Child,
    leader: u32,
    root: PathBuf,
}

impl Container {
    fn boot(dist: &Path) -> Self {
        // The container gets the host's tracefs bound in.
        vmmon_integration_tests::agent::mount_tracefs_as_systemd_does();
        let root = std::env::temp_dir().join(format!("vmmon-nspawn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let copy = Command::new("cp")
            .arg("-a")
            .arg(cached_root())
            .arg(&root)
            .output()
            .unwrap();
        assert!(copy.status.success(), "{}", said(&copy));
        let nspawn = Command::new("systemd-nspawn")
            .env("SYSTEMD_SECCOMP", "0")
            .args([
                "--quiet",
                "--register=no",
                "--keep-unit",
                "--boot",
                "--console=passive",
                "--machine=vmmon-test",
                "--bind-ro=/sys/kernel/btf",
                "--bind-ro=/sys/kernel/tracing",
                "--capability=CAP_BPF,CAP_PERFMON,CAP_SYS_PTRACE,CAP_DAC_READ_SEARCH",
            ])
            .arg(format!("--bind-ro={}:/dist", dist.display()))
            .arg("--directory")
            .arg(&root)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("systemd-nspawn (Debian's systemd-container; cargo xtask test installs it)");
        let mut c = Self {
            nspawn,
            leader: 0,
            root,
        };
        let start = Instant::now();
        c.leader = loop {
            let pid = c.nspawn.id();
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            if let Some(leader) = children
                .split_whitespace()
                .find_map(|p| p.parse::<u32>().ok())
                && std::fs::read_to_string(format!("/proc/{leader}/comm"))
                    .is_ok_and(|c| c.trim() == "systemd")
            {
                break leader;
            }
            if let Ok(Some(status)) = c.nspawn.try_wait() {
                let mut err = String::new();
                let _ = c.nspawn.stderr.take().unwrap().read_to_string(&mut err);
                panic!("systemd-nspawn exited ({status}): {err}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the container's systemd did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        // Until systemd has its socket up, systemctl cannot reach it: ask again.
        let start = Instant::now();
        loop {
            let running = c.sh("systemctl is-system-running --wait");
            let state = String::from_utf8_lossy(&running.stdout).trim().to_string();
            if state == "running" || state == "degraded" {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the container did not boot: {}",
                said(&running)
            );
            std::thread::sleep(Duration::from_millis(250));
        }
        c
    }

    /// Runs `script` with `/bin/sh` inside the container.
    fn sh(&self, script: &str) -> Output {
        Command::new("nsenter")
            .args([
                "-t",
                &self.leader.to_string(),
                "-a",
                "--",
                "/bin/sh",
                "-c",
                script,
            ])
            .output()
            .unwrap()
    }

    /// Runs `script` and asserts that it succeeds; its output.
    fn ok(&self, script: &str) -> String {
        let out = self.sh(script);
        assert!(
            out.status.success(),
            "`{script}` failed in the container: {}\n{}",
            said(&out),
            self.journal()
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The unit's journal, for failure messages.
    fn journal(&self) -> String {
        let out = self.sh("journalctl -u vmmon --no-pager -n 30");
        format!("journal of vmmon.service:\n{}", said(&out))
    }

    fn main_pid(&self) -> u32 {
        self.ok("systemctl show --property MainPID --value vmmon")
            .parse()
            .unwrap()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // nspawn powers the container off on SIGTERM; a stuck one is killed.
        // SAFETY: signals to our own child.
        unsafe { libc::kill(self.nspawn.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(_)) = self.nspawn.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if self.nspawn.try_wait().ok().flatten().is_none() {
            // SAFETY: as above, and the container's init.
            unsafe {
                libc::kill(self.leader as i32, libc::SIGKILL);
                libc::kill(self.nspawn.id() as i32, libc::SIGKILL);
            }
            let _ = self.nspawn.wait();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The agent's status, asked on its socket in the container.
fn status(c: &Container) -> Option<serde_json::Value> {
    let socket = format!("/proc/{}/root/run/vmmon/api.sock", c.leader);
    vmmon_integration_tests::agent::get_json_at(&socket, "/api/v1/status")
}

fn wait_for(what: &str, c: &Container, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what}: not within 30 s\n{}",
            c.journal()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn real_ebpf_the_package_installs_reloads_upgrades_and_purges_under_systemd() {
    require_root();
    assert!(
        std::net::TcpListener::bind("127.0.0.1:9464").is_ok(),
        "port 9464 is taken: stop the agent that holds it (the package's agent listens there)"
    );
    let out = xtask("dist");
    let deb = PathBuf::from(
        out.lines()
            .find(|l| l.ends_with(".deb"))
            .expect("dist names the .deb"),
    );
    let name = deb.file_name().unwrap().to_string_lossy().to_string();
    let files: Vec<String> = {
        let listing = Command::new("dpkg-deb")
            .arg("-c")
            .arg(&deb)
            .output()
            .unwrap();
        String::from_utf8_lossy(&listing.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().last())
            .filter(|p| !p.ends_with('/'))
            .map(|p| p.trim_start_matches('.').to_string())
            .collect()
    };
    assert!(files.contains(&"/usr/bin/vmmon".to_string()), "{files:?}");
    let c = Container::boot(deb.parent().unwrap());

    // Install: the unit is enabled per preset and started; enable --now is then a no-op.
    c.ok(&format!("dpkg -i /dist/{name}"));
    assert_eq!(c.ok("systemctl is-enabled vmmon"), "enabled");
    c.ok("systemctl enable --now vmmon");
    assert_eq!(c.ok("systemctl is-active vmmon"), "active");
    wait_for("the API answers with the programs attached", &c, || {
        status(&c).is_some_and(|s| s["bootstrap_ms"].is_u64())
    });
    let first = c.main_pid();
    assert_eq!(status(&c).unwrap()["resyncs_per_second"], 20);
    // The socket is every user's to ask (0666 despite the unit's UMask), and the answers
    // are theirs: nobody is told no regions of root's init.
    assert_eq!(c.ok("stat -c %a /run/vmmon/api.sock"), "666");
    let nobody = c.sh("setpriv --reuid=nobody --regid=nogroup --clear-groups vmmon maps 1");
    assert!(!nobody.status.success(), "{}", said(&nobody));
    assert!(said(&nobody).contains("is not yours"), "{}", said(&nobody));
    assert!(
        c.ok("vmmon maps 1").contains("systemd"),
        "root reads every process's maps"
    );
    let metrics = vmmon_integration_tests::agent::tcp_get("http://127.0.0.1:9464/metrics", &[]);
    assert_eq!(metrics.0, 200, "/metrics on TCP");
    let api = vmmon_integration_tests::agent::tcp_get("http://127.0.0.1:9464/api/v1/status", &[]);
    assert_eq!(api.0, 403, "no API on TCP by default: {}", api.1);

    // Reload with a changed setting: the same process, the new value.
    c.ok("sed -i 's/^resyncs_per_second = 20/resyncs_per_second = 7/' /etc/vmmon/vmmon.toml");
    c.ok("systemctl reload vmmon");
    assert_eq!(c.ok("systemctl is-active vmmon"), "active");
    assert_eq!(c.main_pid(), first, "a reload is not a restart");
    wait_for("the reloaded setting in the status", &c, || {
        status(&c).is_some_and(|s| s["resyncs_per_second"] == 7)
    });
    // A broken file fails the reload and the agent keeps running as it was.
    c.ok("cp /etc/vmmon/vmmon.toml /tmp/good.toml");
    c.ok("sed -i 's/^resyncs_per_second = 7/resyncs_per_second = 0/' /etc/vmmon/vmmon.toml");
    let bad = c.sh("systemctl reload vmmon");
    assert!(
        !bad.status.success(),
        "a broken file reloaded: {}",
        said(&bad)
    );
    assert_eq!(c.ok("systemctl is-active vmmon"), "active");
    assert_eq!(status(&c).unwrap()["resyncs_per_second"], 7);
    c.ok("cp /tmp/good.toml /etc/vmmon/vmmon.toml");

    // Upgrade (the package installed again): the agent restarts, the admin's file is kept.
    c.ok(&format!("dpkg -i /dist/{name}"));
    assert_eq!(c.ok("systemctl is-active vmmon"), "active");
    let second = c.main_pid();
    assert_ne!(second, first, "an upgrade restarts the agent");
    assert!(
        c.ok("cat /etc/vmmon/vmmon.toml")
            .contains("resyncs_per_second = 7")
    );
    wait_for("the API after the upgrade", &c, || {
        status(&c).is_some_and(|s| s["resyncs_per_second"] == 7)
    });

    // Remove: stopped, nothing answers.
    c.ok("dpkg -r vmmon");
    assert_ne!(
        String::from_utf8_lossy(&c.sh("systemctl is-active vmmon").stdout).trim(),
        "active"
    );
    wait_for("nothing answering after removal", &c, || {
        status(&c).is_none()
    });

    // Purge: no file of the package is left.
    c.ok("dpkg --purge vmmon");
    let mut left = Vec::new();
    for f in files.iter().chain(["/etc/vmmon".to_string()].iter()) {
        if c.sh(&format!("test -e '{f}'")).status.success() {
            left.push(f.clone());
        }
    }
    assert!(left.is_empty(), "left behind after purge: {left:?}");
    let links = c.sh("ls /etc/systemd/system/multi-user.target.wants/vmmon.service");
    assert!(
        !links.status.success(),
        "the unit is still enabled after purge"
    );
}
