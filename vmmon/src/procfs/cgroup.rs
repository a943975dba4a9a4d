//! The unit a process belongs to, from `/proc/PID/cgroup`: a container (`container:<id>`,
//! the first 12 hex digits, as docker shows it) or a systemd unit (`ssh.service`,
//! `session-3.scope`), so that a fleet can group by them.

/// The unit named by a cgroup file's text (v2 `0::/path`, or the v1 `name=systemd` line).
pub fn unit_of(text: &str) -> Option<String> {
    let path = text
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .or_else(|| {
            text.lines()
                .find_map(|l| l.split_once(":name=systemd:").map(|(_, p)| p))
        })?;
    unit_of_path(path.trim())
}

fn container_id(segment: &str) -> Option<&str> {
    let core = segment.strip_suffix(".scope").unwrap_or(segment);
    let id = core.rsplit(['-', ':']).next().unwrap_or(core);
    (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

/// The unit named by a cgroup path.
pub fn unit_of_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // A container anywhere in the path wins (kubepods, docker, containerd, podman, cri-o).
    if let Some(id) = segments.iter().rev().find_map(|s| container_id(s)) {
        return Some(format!("container:{}", &id[..12]));
    }
    segments
        .iter()
        .rev()
        .find(|s| s.ends_with(".service") || s.ends_with(".scope"))
        .map(|s| s.to_string())
        .or_else(|| segments.last().map(|s| s.to_string()))
}

#[cfg(test)]
mod tests {
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
            Some("container:3f4e9a1b2c3d")
        );
        assert_eq!(
            unit_of(&format!(
                "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-{ID}.scope\n"
            ))
            .as_deref(),
            Some("container:3f4e9a1b2c3d")
        );
        assert_eq!(
            unit_of(&format!("0::/docker/{ID}\n")).as_deref(),
            Some("container:3f4e9a1b2c3d")
        );
        assert_eq!(
            unit_of("12:pids:/x\n1:name=systemd:/system.slice/cron.service\n").as_deref(),
            Some("cron.service")
        );
        assert_eq!(unit_of("0::/init.scope\n").as_deref(), Some("init.scope"));
        assert_eq!(unit_of("0::/\n"), None);
        assert_eq!(unit_of("garbage"), None);
    }
}
