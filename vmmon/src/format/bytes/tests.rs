use super::*;

#[test]
fn sizes() {
    assert_eq!(human_bytes(0), "0B");
    assert_eq!(human_bytes(1023), "1023B");
    assert_eq!(human_bytes(4096), "4.0K");
    assert_eq!(human_bytes(1536 * 1024), "1.5M");
    assert_eq!(human_bytes(3 << 30), "3.0G");
    assert_eq!(human_bytes(u64::MAX), "16.0E");
}
