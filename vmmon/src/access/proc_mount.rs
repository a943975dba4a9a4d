//! How the `/proc` the agent reads is mounted: `hidepid=` and `gid=` decide which processes
//! a user may see at all.

/// The `hidepid=` mount option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Hidepid {
    /// Every process is visible (the default).
    #[default]
    Off,
    /// Others' processes are listed, but their files cannot be read (`noaccess`, `1`).
    NoAccess,
    /// Others' processes are not even listed (`invisible`, `2`).
    Invisible,
    /// Only processes the user may ptrace-read are visible (`ptraceable`, `4`); `gid=`
    /// exempts no one.
    Ptraceable,
}

/// The options of the `/proc` mount that decide visibility.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcMount {
    pub hidepid: Hidepid,
    /// `gid=`: members of this group see every process (but with `ptraceable`).
    pub gid: Option<u32>,
}

impl ProcMount {
    /// The options of the mount at `/proc` in a `/proc/self/mountinfo` text (the last one
    /// mounted there wins, as it hides those below); defaults when there is none.
    pub fn from_mountinfo(text: &str) -> Self {
        text.lines()
            .rev()
            .filter_map(|line| {
                let (before, after) = line.split_once(" - ")?;
                let mount_point = before.split_whitespace().nth(4)?;
                let mut rest = after.split_whitespace();
                let fstype = rest.next()?;
                let options = rest.nth(1).unwrap_or_default();
                (mount_point == "/proc" && fstype == "proc").then(|| Self::from_options(options))
            })
            .next()
            .unwrap_or_default()
    }

    /// From a mount's super options, such as `rw,hidepid=invisible,gid=27`.
    pub fn from_options(options: &str) -> Self {
        let mut mount = Self::default();
        for option in options.split(',') {
            match option.split_once('=') {
                Some(("hidepid", v)) => mount.hidepid = hidepid(v),
                Some(("gid", v)) => mount.gid = v.parse().ok(),
                _ => {}
            }
        }
        mount
    }
}

/// A `hidepid=` value; an unknown one is taken as the strictest.
fn hidepid(v: &str) -> Hidepid {
    match v {
        "0" | "off" => Hidepid::Off,
        "1" | "noaccess" => Hidepid::NoAccess,
        "2" | "invisible" => Hidepid::Invisible,
        _ => Hidepid::Ptraceable,
    }
}

#[cfg(test)]
mod tests;
