use super::*;
use vmmon_common::{
    GLOBAL_AGENT_TGID, GLOBAL_LAYOUT, GLOBAL_RING_BYTES, GLOBAL_SITE_DEPTH, GLOBAL_SITE_MIN_BYTES,
    GLOBAL_THREAD_MASK,
};

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

/// The kernel crate names its maps after their statics: the object must have exactly the
/// maps vmmon-common names, so that a map renamed on one side only fails here, not at load.
#[test]
fn the_object_has_exactly_the_maps_of_vmmon_common() {
    let obj = aya_obj::Object::parse(VMMON_OBJECT).expect("the eBPF object parses");
    let mut found: Vec<&str> = obj
        .maps
        .keys()
        .map(String::as_str)
        // The globals' sections (.rodata, .bss, ...), which aya makes maps of.
        .filter(|name| !name.starts_with('.'))
        .collect();
    found.sort_unstable();
    let mut want = vmmon_common::MAPS;
    want.sort_unstable();
    assert_eq!(found, want);
}

/// Every global the loader sets is in the object under the name vmmon-common gives it (the
/// loader does not insist on some of them: a misspelt one would silently keep its default).
#[test]
fn the_object_has_every_global_the_loader_sets() {
    let obj = aya_obj::Object::parse(VMMON_OBJECT).expect("the eBPF object parses");
    let btf = obj.btf.as_ref().expect("the object has BTF");
    for global in [
        GLOBAL_AGENT_TGID,
        GLOBAL_RING_BYTES,
        GLOBAL_THREAD_MASK,
        GLOBAL_LAYOUT,
        GLOBAL_SITE_MIN_BYTES,
        GLOBAL_SITE_DEPTH,
    ] {
        assert!(
            btf.id_by_type_name_kind(global, aya_obj::btf::BtfKind::Var)
                .is_ok(),
            "no global {global} in the object"
        );
    }
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

#[test]
fn a_bad_ring_size_says_the_bounds() {
    assert_eq!(
        validate_ring_bytes(12288).unwrap_err().to_string(),
        "ring buffer size 12288 is invalid: it must be a power of two between 4096 and 1073741824 bytes"
    );
}
