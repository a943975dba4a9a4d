//! The unit a process belongs to, from `/proc/PID/cgroup`: a container, by its full id with
//! the runtime prefix kube-state-metrics uses in `kube_pod_container_info{container_id}`
//! (`containerd://<64 hex>`, `docker://…`, `cri-o://…`), or a systemd unit (`ssh.service`,
//! `session-3.scope`), so that a fleet can group by them and join them with Kubernetes.

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

/// The container id in a cgroup path segment, and its runtime's prefix when the segment
/// names it (`docker-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`,
/// `libpod-<id>.scope`).
fn container_id(segment: &str) -> Option<(Option<&'static str>, &str)> {
    let core = segment.strip_suffix(".scope").unwrap_or(segment);
    let id = core.rsplit(['-', ':']).next().unwrap_or(core);
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let runtime = [
        ("cri-containerd-", "containerd"),
        ("containerd-", "containerd"),
        ("docker-", "docker"),
        ("crio-", "cri-o"),
        ("libpod-", "podman"),
    ]
    .iter()
    .find(|(prefix, _)| core.starts_with(prefix))
    .map(|&(_, r)| r);
    Some((runtime, id))
}

/// The runtime a cgroupfs-style path names in a parent directory (`/docker/<id>`).
fn runtime_of_parent(segments: &[&str]) -> Option<&'static str> {
    segments.iter().rev().find_map(|s| match *s {
        "docker" => Some("docker"),
        "containerd" => Some("containerd"),
        "crio" | "cri-o" => Some("cri-o"),
        "libpod_parent" => Some("podman"),
        _ => None,
    })
}

/// The unit named by a cgroup path.
pub fn unit_of_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // A container anywhere in the path wins (kubepods, docker, containerd, podman, cri-o).
    // Under kubepods with the cgroupfs driver the path does not name the runtime: it is
    // containerd, Kubernetes' default since dockershim was removed.
    if let Some((at, (runtime, id))) = segments
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, s)| Some((i, container_id(s)?)))
    {
        let runtime = runtime
            .or_else(|| runtime_of_parent(&segments[..at]))
            .unwrap_or("containerd");
        return Some(format!("{runtime}://{id}"));
    }
    segments
        .iter()
        .rev()
        .find(|s| s.ends_with(".service") || s.ends_with(".scope"))
        .map(|s| s.to_string())
        .or_else(|| segments.last().map(|s| s.to_string()))
}

#[cfg(test)]
mod tests;
