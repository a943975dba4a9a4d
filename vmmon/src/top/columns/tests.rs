use super::*;

#[test]
fn every_column_fits_when_wide_and_the_pinned_ones_always() {
    assert_eq!(visible(200, 0, Column::Pid), Column::ALL.to_vec());
    let narrow = visible(80, 0, Column::Pid);
    let cells: usize = narrow.iter().map(|c| c.width() + 1).sum();
    assert!(cells <= 80, "{cells}");
    for c in [
        Column::Pid,
        Column::Wx,
        Column::Comm,
        Column::Virt,
        Column::GrowthRate,
    ] {
        assert!(narrow.contains(&c), "{c:?} at 80 columns");
    }
    assert!(!narrow.contains(&Column::BrkRate));
    let sorted = visible(80, 0, Column::BrkRate);
    assert!(
        sorted.contains(&Column::BrkRate),
        "the sort column is brought into view"
    );
    assert!(visible(80, max_scroll(80), Column::Pid).contains(&Column::BrkRate));
    assert_eq!(max_scroll(200), 0);
}

#[test]
fn names_round_trip() {
    for c in Column::ALL {
        assert_eq!(Column::from_name(c.name()), Some(c));
    }
    assert_eq!(Column::GrowthWindow.header(60), "GROW/1m");
    assert_eq!(Column::GrowthWindow.header(90), "GROW/90s");
}
