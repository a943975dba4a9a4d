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
