//! The DaemonSet's image: `cargo xtask image` builds it offline from a static binary
//! (`FROM scratch`); it holds the binary and its configuration and nothing else, and the binary
//! runs in it. Where the container runtime cannot start containers here (crun needs to set
//! rlimits, which a machine without CAP_SYS_RESOURCE refuses), the image's own filesystem,
//! exported by podman, is run in a chroot instead, and the test says so.

use std::process::Command;
use vmmon_integration_tests::output::{said, xtask};

#[test]
fn the_image_builds_from_scratch_offline_and_vmmon_runs_in_it() {
    let out = xtask("image");
    let version = env!("CARGO_PKG_VERSION");
    let tag = format!("vmmon:{version}");
    assert!(out.contains(&tag), "{out}");

    // What is in it: the binary and the configuration, no shell, no libc.
    let dir = std::env::temp_dir().join(format!("vmmon-image-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("root")).unwrap();
    let name = format!("vmmon-image-test-{}", std::process::id());
    let podman = |args: &[&str]| Command::new("podman").args(args).output().unwrap();
    let created = podman(&["create", "--name", &name, &tag]);
    assert!(created.status.success(), "{}", said(&created));
    let tar = dir.join("rootfs.tar");
    let exported = podman(&["export", "--output", tar.to_str().unwrap(), &name]);
    let _ = podman(&["rm", &name]);
    assert!(exported.status.success(), "{}", said(&exported));
    let listing = Command::new("tar").arg("-tf").arg(&tar).output().unwrap();
    let files: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter(|l| !l.ends_with('/'))
        .map(|l| l.trim_start_matches("./").to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let mut expected = vec!["etc/vmmon/vmmon.toml".to_string(), "usr/bin/vmmon".into()];
    let mut files_sorted = files.clone();
    files_sorted.retain(|f| !f.starts_with("etc/hosts") && !f.starts_with("etc/resolv.conf"));
    files_sorted.sort();
    expected.sort();
    assert_eq!(
        files_sorted, expected,
        "the image holds more than vmmon: {files:?}"
    );
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(dir.join("root"))
        .output()
        .unwrap();
    assert!(untar.status.success(), "{}", said(&untar));

    // Run it: in a container where the runtime can start one, else in the image's own
    // filesystem.
    let run = podman(&["run", "--rm", "--network=none", &tag, "--version"]);
    let said = if run.status.success() {
        said(&run)
    } else {
        assert!(
            said(&run).contains("OCI permission denied"),
            "podman run failed for another reason: {}",
            said(&run)
        );
        eprintln!(
            "podman cannot start containers here ({}); running the image's filesystem in a chroot",
            said(&run).trim()
        );
        let chroot = Command::new("chroot")
            .arg(dir.join("root"))
            .args(["/usr/bin/vmmon", "--version"])
            .output()
            .unwrap();
        assert!(chroot.status.success(), "{}", said(&chroot));
        let check = Command::new("chroot")
            .arg(dir.join("root"))
            .args(["/usr/bin/vmmon", "config", "check"])
            .output()
            .unwrap();
        assert!(
            check.status.success() && said(&check).contains("listen"),
            "config check in the image: {}",
            said(&check)
        );
        said(&chroot)
    };
    assert_eq!(said.trim(), format!("vmmon {version}"));
    let _ = std::fs::remove_dir_all(&dir);
}
