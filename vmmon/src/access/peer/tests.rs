use super::*;

fn user(uid: u32, gid: u32) -> Peer {
    Peer::Local(Local {
        uid,
        gid,
        ..Local::default()
    })
}

fn owned_by(uid: u32, gid: u32) -> Ids {
    Ids {
        uids: [uid; 3],
        gids: [gid; 3],
        dumpable: true,
    }
}

#[test]
fn root_and_the_operator_read_everything() {
    let root_process = owned_by(0, 0);
    assert!(Peer::root().may_read_maps(Some(&root_process)));
    assert!(Peer::root().may_read_maps(None));
    assert!(Peer::Operator.may_read_maps(None));
}

#[test]
fn a_user_reads_its_own_dumpable_processes_only() {
    let me = user(1000, 1000);
    assert!(me.may_read_maps(Some(&owned_by(1000, 1000))));
    assert!(!me.may_read_maps(Some(&owned_by(0, 0))));
    assert!(!me.may_read_maps(Some(&owned_by(1001, 1000))));
    assert!(
        !me.may_read_maps(Some(&owned_by(1000, 1001))),
        "the gid counts too"
    );
    assert!(!me.may_read_maps(None), "unknown ids: root only");
    let setuid = Ids {
        uids: [1000, 0, 0],
        ..owned_by(1000, 1000)
    };
    assert!(
        !me.may_read_maps(Some(&setuid)),
        "a set-uid process is not the user's"
    );
    let undumpable = Ids {
        dumpable: false,
        ..owned_by(1000, 1000)
    };
    assert!(!me.may_read_maps(Some(&undumpable)));
}

#[test]
fn a_peer_that_became_someone_else_since_it_connected_gets_nothing_of_it() {
    // Connected as 1000, then exec'd a set-uid root program: its status shows root.
    let setuid = "Uid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n\
                      Groups:\t0\nCapEff:\t000001ffffffffff\n";
    let peer = Local::from_status(1000, 1000, Some(setuid), true);
    assert!(!peer.ptrace && peer.groups.is_empty(), "{peer:?}");
    assert!(!Peer::Local(peer).may_read_maps(Some(&owned_by(0, 0))));
}

#[test]
fn cap_sys_ptrace_counts_in_the_agents_user_namespace_only() {
    let status = "Name:\tgdb\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n\
                      Groups:\t27 100\nCapEff:\t0000000000080000\n";
    let tracer = Local::from_status(1000, 1000, Some(status), true);
    assert!(tracer.ptrace);
    assert_eq!(tracer.groups, [27, 100]);
    assert!(Peer::Local(tracer).may_read_maps(Some(&owned_by(0, 0))));
    let in_a_container = Local::from_status(1000, 1000, Some(status), false);
    assert!(!in_a_container.ptrace);
    let plain = Local::from_status(
        1000,
        1000,
        Some("Uid:\t1000 1000 1000 1000\nGid:\t1000 1000 1000 1000\nCapEff:\t0\n"),
        true,
    );
    assert!(!plain.ptrace);
    assert!(!Local::from_status(1000, 1000, None, true).ptrace);
}

#[test]
fn hidepid_hides_what_proc_hides() {
    let me = user(1000, 1000);
    let other = owned_by(0, 0);
    let mine = owned_by(1000, 1000);
    let open = ProcMount::default();
    assert!(me.may_see(Some(&other), &open));
    for hidepid in [Hidepid::NoAccess, Hidepid::Invisible, Hidepid::Ptraceable] {
        let mount = ProcMount { hidepid, gid: None };
        assert!(!me.may_see(Some(&other), &mount), "{hidepid:?}");
        assert!(me.may_see(Some(&mine), &mount), "{hidepid:?}");
        assert!(Peer::root().may_see(Some(&other), &mount));
    }
    let staff = Peer::Local(Local {
        groups: vec![27],
        ..Local::from_status(1000, 1000, None, true)
    });
    let exempt = ProcMount {
        hidepid: Hidepid::Invisible,
        gid: Some(27),
    };
    assert!(
        staff.may_see(Some(&other), &exempt),
        "gid= exempts its members"
    );
    assert!(
        !staff.may_read_maps(Some(&other)),
        "but not from the maps rule"
    );
    let ptraceable = ProcMount {
        hidepid: Hidepid::Ptraceable,
        gid: Some(27),
    };
    assert!(
        !staff.may_see(Some(&other), &ptraceable),
        "ptraceable ignores gid="
    );
}
