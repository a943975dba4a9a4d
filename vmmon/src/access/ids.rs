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
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\n\
        Uid:\t1000\t1001\t1002\t1001\nGid:\t100\t101\t102\t101\nGroups:\t4 27\n";

    #[test]
    fn ids_come_from_the_uid_and_gid_lines() {
        let ids = Ids::from_status(STATUS, (1001, 101)).unwrap();
        assert_eq!(ids.uids, [1000, 1001, 1002]);
        assert_eq!(ids.gids, [100, 101, 102]);
        assert!(ids.dumpable);
        assert_eq!(ids.euid(), 1001);
    }

    #[test]
    fn a_proc_directory_given_to_root_means_not_dumpable() {
        let ids = Ids::from_status(STATUS, (0, 0)).unwrap();
        assert!(!ids.dumpable);
    }

    #[test]
    fn a_status_without_ids_gives_none() {
        assert_eq!(Ids::from_status("Name:\tx\n", (0, 0)), None);
        assert_eq!(
            Ids::from_status("Uid:\t1\t2\nGid:\t1\t2\t3\t4\n", (0, 0)),
            None
        );
        assert_eq!(
            Ids::from_status("Uid:\t1 2 x 4\nGid:\t1 2 3 4\n", (0, 0)),
            None
        );
    }
}
