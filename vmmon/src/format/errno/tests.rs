use super::*;

#[test]
fn names() {
    assert_eq!(errno_name(1), "EPERM");
    assert_eq!(errno_name(12), "ENOMEM");
    assert_eq!(errno_name(22), "EINVAL");
    assert_eq!(errno_name(95), "EOPNOTSUPP");
    assert_eq!(errno_name(133), "EHWPOISON");
    assert_eq!(errno_name(41), "E41");
    assert_eq!(errno_name(0), "E0");
    assert_eq!(errno_name(-3), "E-3");
    assert_eq!(errno_name(4000), "E4000");
}
