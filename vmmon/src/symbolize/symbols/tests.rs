use super::*;

#[test]
fn the_file_mapped_at_an_address_is_known_by_its_device_and_inode() {
    use std::os::unix::fs::MetadataExt as _;
    let code = the_file_mapped_at_an_address_is_known_by_its_device_and_inode as *const () as u64;
    let exe = std::fs::metadata(std::env::current_exe().unwrap()).unwrap();
    assert_eq!(
        mapped_file(std::process::id(), code),
        Some((exe.dev(), exe.ino()))
    );
    assert_eq!(
        mapped_file(std::process::id(), 0),
        None,
        "nothing is mapped at 0"
    );
}
