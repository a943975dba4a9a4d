use super::*;

const ID: &str = "3f4e9a1b2c3d4e5f60718293a4b5c6d7e8f901122334455667788990aabbccdd";

#[test]
fn units_from_cgroup_files() {
    assert_eq!(
        unit_of("0::/system.slice/ssh.service\n").as_deref(),
        Some("ssh.service")
    );
    assert_eq!(
        unit_of("0::/user.slice/user-1000.slice/session-3.scope\n").as_deref(),
        Some("session-3.scope")
    );
    assert_eq!(
        unit_of(&format!("0::/system.slice/docker-{ID}.scope\n")).as_deref(),
        Some(format!("docker://{ID}").as_str())
    );
    assert_eq!(
            unit_of(&format!(
                "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-{ID}.scope\n"
            ))
            .as_deref(),
            Some(format!("containerd://{ID}").as_str())
        );
    assert_eq!(
        unit_of(&format!("0::/docker/{ID}\n")).as_deref(),
        Some(format!("docker://{ID}").as_str())
    );
    assert_eq!(
        unit_of(&format!(
            "0::/kubepods.slice/kubepods-pod2.slice/crio-{ID}.scope\n"
        ))
        .as_deref(),
        Some(format!("cri-o://{ID}").as_str())
    );
    // cgroupfs driver: the runtime is not named; Kubernetes' default.
    assert_eq!(
        unit_of(&format!("0::/kubepods/burstable/pod1234/{ID}\n")).as_deref(),
        Some(format!("containerd://{ID}").as_str())
    );
    assert_eq!(
        unit_of("12:pids:/x\n1:name=systemd:/system.slice/cron.service\n").as_deref(),
        Some("cron.service")
    );
    assert_eq!(unit_of("0::/init.scope\n").as_deref(), Some("init.scope"));
    assert_eq!(unit_of("0::/\n"), None);
    assert_eq!(unit_of("garbage"), None);
}
