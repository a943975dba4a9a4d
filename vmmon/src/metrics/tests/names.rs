//! The families' names: every one the deploy files query exists, and none clashes with
//! another once OpenMetrics names them.

use super::*;

/// Every `vmmon_*` family a dashboard panel or an alert rule queries exists: a renamed
/// family cannot silently blank a panel or mute an alert.
#[test]
fn dashboard_and_alerts_use_only_families_that_exist() {
    let mut s = snapshot(vec![proc(1, "x", 10, 5)]);
    s.totals.syscalls.count(Syscall::Mmap, false);
    let own = OwnUsage {
        max_map_count: Some(65530),
        ..OwnUsage::default()
    };
    let text = render(&s, &own);
    let types: std::collections::HashMap<&str, &str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    let families: std::collections::HashSet<&str> = types.keys().copied().collect();
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    for file in ["grafana/vmmon.json", "prometheus/alerts.yml"] {
        let body = std::fs::read_to_string(deploy.join(file)).unwrap();
        let mut used = 0;
        for (i, _) in body.match_indices("vmmon_") {
            let name: String = body[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // Grafana uids and titles say "vmmon-...", not metric names.
            if name.len() > "vmmon_".len() {
                // A histogram's series are its family's name with a suffix.
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .filter_map(|suffix| name.strip_suffix(suffix))
                    .find(|base| types.get(base) == Some(&"histogram"))
                    .unwrap_or(&name);
                assert!(
                    families.contains(family),
                    "{file} queries {name}, which vmmon does not export"
                );
                used += 1;
            }
        }
        assert!(used >= 3, "{file} queries only {used} families");
    }
}

/// OpenMetrics names a counter's family without `_total` and a histogram's without its
/// suffixes: no other family may take those names (Prometheus 3 asks for OpenMetrics first).
#[test]
fn no_family_clashes_with_a_counters_or_a_histograms_name() {
    let mut s = snapshot(vec![proc(1, "x", 10, 5), proc(2, "y", 20, 0)]);
    s.status.self_check = true;
    let own = OwnUsage {
        max_map_count: Some(65530),
        ..OwnUsage::default()
    };
    let rendered = render(&s, &own);
    let types: Vec<(&str, &str)> = rendered
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert!(types.len() > 40, "{types:?}");
    let mut taken = std::collections::HashMap::new();
    for (name, kind) in &types {
        if *kind != "histogram" {
            for suffix in ["_count", "_sum", "_bucket"] {
                assert!(
                    !name.ends_with(suffix),
                    "{name} ({kind}) ends like a histogram's series"
                );
            }
        }
        let family = match *kind {
            "counter" => name
                .strip_suffix("_total")
                .unwrap_or_else(|| panic!("counter {name} does not end in _total")),
            _ => name,
        };
        if let Some(other) = taken.insert(family, (name, kind)) {
            panic!("{name} ({kind}) and {:?} are one OpenMetrics family", other);
        }
        if *kind == "histogram" {
            for suffix in ["_bucket", "_count", "_sum", "_created"] {
                taken.insert(
                    Box::leak(format!("{name}{suffix}").into_boxed_str()),
                    (name, kind),
                );
            }
        }
    }
    for (name, kind) in &types {
        let clash = types.iter().find(|(other, k)| {
            k != kind && (format!("{other}_total") == *name || format!("{name}_total") == *other)
        });
        assert!(clash.is_none(), "{name} ({kind}) clashes with {clash:?}");
    }
}
