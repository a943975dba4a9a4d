//! Who a process is, as the kernel's ptrace read check looks at it.

/// A process's real, effective and saved user and group ids, and whether its address space
/// is dumpable by its owner (`SUID_DUMP_USER`): a peer with those very ids may read its maps
/// only then.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    /// Real, effective, saved.
    pub uids: [u32; 3],
    /// Real, effective, saved.
    pub gids: [u32; 3],
    pub dumpable: bool,
}

impl Ids {
    /// The ids in `/proc/PID/status` (its `Uid:` and `Gid:` lines: real, effective, saved,
    /// filesystem), with the owner of `/proc/PID`: the kernel gives a process's `/proc`
    /// directory to its effective ids while it is dumpable, and to root otherwise.
    pub fn from_status(status: &str, owner: (u32, u32)) -> Option<Self> {
        let uids = status_ids(status, "Uid:")?;
        let gids = status_ids(status, "Gid:")?;
        Some(Self {
            uids,
            gids,
            dumpable: owner == (uids[1], gids[1]),
        })
    }

    /// The effective user id.
    pub fn euid(&self) -> u32 {
        self.uids[1]
    }
}

/// The first three ids on the line starting with `key`.
fn status_ids(status: &str, key: &str) -> Option<[u32; 3]> {
    let line = status.lines().find_map(|l| l.strip_prefix(key))?;
    let mut ids = line.split_whitespace().map(str::parse::<u32>);
    Some([ids.next()?.ok()?, ids.next()?.ok()?, ids.next()?.ok()?])
}

#[cfg(test)]
mod tests;
