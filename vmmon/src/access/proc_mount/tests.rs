use super::*;

#[test]
fn the_proc_mounts_options_are_read() {
    let text = "22 1 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n\
                    40 22 0:33 / /proc/sys/fs/binfmt_misc rw - binfmt_misc x rw\n";
    assert_eq!(ProcMount::from_mountinfo(text), ProcMount::default());
    let hidden =
        format!("{text}99 22 0:60 / /proc rw,relatime - proc proc rw,hidepid=invisible,gid=27\n");
    assert_eq!(
        ProcMount::from_mountinfo(&hidden),
        ProcMount {
            hidepid: Hidepid::Invisible,
            gid: Some(27)
        }
    );
}

#[test]
fn numeric_and_named_values_are_the_same() {
    for (v, h) in [
        ("0", Hidepid::Off),
        ("noaccess", Hidepid::NoAccess),
        ("1", Hidepid::NoAccess),
        ("2", Hidepid::Invisible),
        ("4", Hidepid::Ptraceable),
        ("ptraceable", Hidepid::Ptraceable),
    ] {
        assert_eq!(
            ProcMount::from_options(&format!("rw,hidepid={v}")).hidepid,
            h
        );
    }
}

#[test]
fn no_proc_mount_means_nothing_hidden() {
    assert_eq!(ProcMount::from_mountinfo(""), ProcMount::default());
}
