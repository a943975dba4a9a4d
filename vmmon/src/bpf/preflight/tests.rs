use super::*;

#[test]
fn capabilities_decide_privilege() {
    assert!(privileged("Name:\tx\nCapEff:\t000001ffffffffff\n"));
    assert!(
        privileged("CapEff:\t0000000000200000\n"),
        "CAP_SYS_ADMIN alone"
    );
    assert!(
        privileged("CapEff:\t000000c000000000\n"),
        "CAP_BPF+CAP_PERFMON"
    );
    assert!(!privileged("CapEff:\t0000008000000000\n"), "CAP_BPF alone");
    assert!(!privileged("CapEff:\t0000000000000000\n"));
    assert!(!privileged("no such line"));
}
