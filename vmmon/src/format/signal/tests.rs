use super::*;

#[test]
fn names() {
    assert_eq!(signal_name(9), "SIGKILL");
    assert_eq!(signal_name(11), "SIGSEGV");
    assert_eq!(signal_name(6), "SIGABRT");
    assert_eq!(signal_name(31), "SIGSYS");
    assert_eq!(signal_name(34), "SIGRTMIN+2");
    assert_eq!(signal_name(0), "SIG0");
    assert_eq!(signal_name(65), "SIG65");
    assert_eq!(libc::SIGKILL, 9);
    assert_eq!(libc::SIGSYS, 31);
}
