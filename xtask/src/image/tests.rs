use super::*;

#[test]
fn a_dynamic_executable_is_told_from_a_static_one() {
    // This test's own binary is linked against glibc dynamically.
    let me = std::env::current_exe().unwrap();
    assert!(!is_static(&me).unwrap());
    assert!(is_static(Path::new("/etc/hostname")).is_err());
}
