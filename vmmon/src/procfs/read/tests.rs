#[test]
fn the_effective_uid_is_the_second_of_four() {
    let status = "Name:\tsu\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
    assert_eq!(super::effective_uid(status), Some(0));
    assert_eq!(super::effective_uid("Name:\tx\n"), None);
    assert_eq!(super::effective_uid("Uid:\t5\n"), None);
}
