use super::*;

#[test]
fn error_values_are_minus_one_to_minus_max_errno() {
    assert!(is_err_value(-1));
    assert!(is_err_value(-i64::from(ENOMEM)));
    assert!(is_err_value(-MAX_ERRNO));
    assert!(!is_err_value(0));
    assert!(!is_err_value(-MAX_ERRNO - 1));
    // An address in the upper half, as mmap may return it.
    assert!(!is_err_value(0xffff_8000_0000_0000_u64 as i64));
    assert!(!is_err_value(0x7f00_0000_1000));
}
