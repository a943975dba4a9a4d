use super::*;

/// The programs in the object built from the kernel crate, by name and kind of section.
fn programs_in(object: &[u8]) -> Vec<(String, String)> {
    let obj = aya_obj::Object::parse(object).expect("the eBPF object parses");
    let mut found: Vec<(String, String)> = obj
        .programs
        .iter()
        .map(|(name, p)| (name.clone(), format!("{:?}", p.section)))
        .collect();
    found.sort();
    found
}

fn table() -> Vec<(String, String)> {
    let mut want: Vec<(String, String)> = PROGRAMS
        .iter()
        .map(|p| {
            let section = match p.hook {
                Hook::TracePoint { .. } => aya_obj::ProgramSection::TracePoint,
                Hook::BtfTracePoint { .. } => aya_obj::ProgramSection::BtfTracePoint,
                Hook::Iter { .. } => aya_obj::ProgramSection::Iter { sleepable: false },
            };
            (p.name.to_string(), format!("{section:?}"))
        })
        .collect();
    want.sort();
    want
}

#[test]
fn the_object_has_exactly_the_programs_of_the_table() {
    assert_eq!(programs_in(VMMON_OBJECT), table());
}

#[cfg(feature = "bench")]
#[test]
fn the_floor_object_has_exactly_the_programs_of_the_table() {
    let floor: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vmmon-floor"));
    assert_eq!(programs_in(floor), table());
}

#[test]
fn ring_sizes() {
    assert_eq!(validate_ring_bytes(4096).unwrap(), 4096);
    assert_eq!(validate_ring_bytes(8 << 20).unwrap(), 8 << 20);
    assert!(validate_ring_bytes(0).is_err());
    assert!(validate_ring_bytes(2048).is_err());
    assert!(validate_ring_bytes(12288).is_err());
    assert!(validate_ring_bytes(1 << 31).is_err());
}
