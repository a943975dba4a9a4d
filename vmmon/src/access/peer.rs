//! Who asks, and what the kernel would let them read.

use super::{Hidepid, Ids, ProcMount};

/// The bit of `CAP_SYS_PTRACE` in a capability set.
const CAP_SYS_PTRACE: u32 = 19;

/// A client of the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A local client on the Unix socket, known by its credentials (`SO_PEERCRED`).
    Local(Local),
    /// A client over TCP that gave the configured credentials: the operator's, who may read
    /// everything.
    Operator,
}

/// A local client's credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Local {
    /// Its effective user and group ids when it connected.
    pub uid: u32,
    pub gid: u32,
    /// Its supplementary groups (for `/proc`'s `gid=`).
    pub groups: Vec<u32>,
    /// It holds `CAP_SYS_PTRACE` in the agent's user namespace.
    pub ptrace: bool,
}

impl Local {
    /// The peer with ids `uid`, `gid` whose `/proc/PID/status` is `status` (when it could be
    /// read); `same_userns`: it lives in the agent's user namespace, where alone its
    /// capabilities count. The status counts only while its real, effective, saved and
    /// filesystem ids are still those the peer connected with: a peer that then execs a
    /// set-uid program gets none of that program's capabilities or groups.
    pub fn from_status(uid: u32, gid: u32, status: Option<&str>, same_userns: bool) -> Self {
        let still = |key: &str, id: u32| {
            status
                .and_then(|s| s.lines().find_map(|l| l.strip_prefix(key)))
                .is_some_and(|ids| {
                    let ids: Vec<&str> = ids.split_whitespace().collect();
                    ids.len() == 4 && ids.iter().all(|v| v.parse() == Ok(id))
                })
        };
        let status = status.filter(|_| still("Uid:", uid) && still("Gid:", gid));
        let field = |key: &str| {
            status.and_then(|s| s.lines().find_map(|l| l.strip_prefix(key).map(str::trim)))
        };
        let groups = field("Groups:")
            .map(|g| {
                g.split_whitespace()
                    .filter_map(|n| n.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        let cap_eff = field("CapEff:").and_then(|c| u64::from_str_radix(c, 16).ok());
        Self {
            uid,
            gid,
            groups,
            ptrace: same_userns && cap_eff.is_some_and(|c| c >> CAP_SYS_PTRACE & 1 == 1),
        }
    }

    fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

impl Peer {
    /// Root, as the tests and the CLI's own checks need it.
    pub fn root() -> Self {
        Peer::Local(Local::default())
    }

    /// Whether it may read the maps of a process whose ids are `ids` (`None`: not known):
    /// the kernel's ptrace read check. Root and holders of `CAP_SYS_PTRACE` may; otherwise
    /// the peer's uid and gid must equal the process's real, effective and saved ones, and
    /// the process must be dumpable.
    pub fn may_read_maps(&self, ids: Option<&Ids>) -> bool {
        let local = match self {
            Peer::Operator => return true,
            Peer::Local(l) => l,
        };
        if local.uid == 0 || local.ptrace {
            return true;
        }
        ids.is_some_and(|ids| {
            ids.dumpable
                && ids.uids.iter().all(|&u| u == local.uid)
                && ids.gids.iter().all(|&g| g == local.gid)
        })
    }

    /// Whether it may see the process at all, its numbers included, with `/proc` mounted
    /// as `mount` says (the kernel's `has_pid_permissions`).
    pub fn may_see(&self, ids: Option<&Ids>, mount: &ProcMount) -> bool {
        let local = match self {
            Peer::Operator => return true,
            Peer::Local(l) => l,
        };
        match mount.hidepid {
            Hidepid::Off => true,
            Hidepid::Ptraceable => self.may_read_maps(ids),
            Hidepid::NoAccess | Hidepid::Invisible => {
                mount.gid.is_some_and(|g| local.in_group(g)) || self.may_read_maps(ids)
            }
        }
    }
}

#[cfg(test)]
mod tests;
