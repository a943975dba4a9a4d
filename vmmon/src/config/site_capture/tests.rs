use super::*;

#[test]
fn settings_parse_and_print_back() {
    for (text, want) in [
        ("off", SiteCapture::Off),
        ("all", SiteCapture::ALL),
        ("64KiB", SiteCapture::AtLeast(65536)),
        ("1MiB", SiteCapture::AtLeast(1 << 20)),
        ("4096", SiteCapture::AtLeast(4096)),
        ("3 M", SiteCapture::AtLeast(3 << 20)),
    ] {
        assert_eq!(text.parse::<SiteCapture>(), Ok(want), "{text}");
    }
    assert_eq!(SiteCapture::AtLeast(65536).to_string(), "64KiB");
    assert_eq!(SiteCapture::AtLeast(1000).to_string(), "1000");
    assert_eq!(SiteCapture::ALL.to_string(), "all");
    for bad in ["", "some", "-1", "12XB", "99999999999999999999"] {
        assert!(bad.parse::<SiteCapture>().is_err(), "{bad}");
    }
    assert_eq!(SiteCapture::Off.min_bytes(), vmmon_common::SITES_OFF);
    for c in [
        SiteCapture::Off,
        SiteCapture::ALL,
        SiteCapture::AtLeast(4096),
    ] {
        assert_eq!(SiteCapture::from_min_bytes(c.min_bytes()), c);
    }
}
