use super::*;

#[test]
fn sizes_fit_seven_cells_in_binary_units() {
    assert_eq!(size(0), "0 B");
    assert_eq!(size(512), "512 B");
    assert_eq!(size(4096), "4.0 KiB");
    assert_eq!(size(1536 << 10), "1.5 MiB");
    assert_eq!(size(512 << 20), "512 MiB");
    assert_eq!(size(1023 << 20), "1.0 GiB");
    assert_eq!(size(3 << 30), "3.0 GiB");
    for n in [1u64, 999, 1000, 1023, 10_239, 1 << 40, u64::MAX] {
        assert!(size(n).len() <= 7, "{n}: {}", size(n));
    }
    assert_eq!(signed_size(-(2 << 20)), "-2.0 MiB");
    assert_eq!(signed_size(64 << 20), "+64 MiB");
    assert_eq!(signed_size(0), "0");
}

#[test]
fn rates() {
    assert_eq!(rate(0.0), "0");
    assert_eq!(rate(0.5), "0.5");
    assert_eq!(rate(123.4), "123");
    assert_eq!(rate(1234.0), "1.2k");
    assert_eq!(rate(45_000.0), "45k");
    assert_eq!(rate(2_500_000.0), "2.5M");
}

#[test]
fn hostile_names_are_made_printable_and_fitted_by_cells() {
    assert_eq!(sanitize("a\x1b[2Jb\n\u{202e}c\u{7f}"), "a?[2Jb??c?");
    assert_eq!(sanitize("\u{9b}31m"), "?31m", "C1 CSI");
    let wide = "日本語のプロセス";
    assert_eq!(width(wide), 16);
    assert_eq!(truncate(wide, 5), "日本", "a wide character is never split");
    assert_eq!(width(&fit(wide, 5, false)), 5);
    assert_eq!(fit("ab", 4, true), "  ab");
    assert_eq!(fit("ab", 4, false), "ab  ");
}
