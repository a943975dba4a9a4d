//! The few fields of `/proc/PID/stat` the ledger needs.

/// From `/proc/PID/stat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// The comm, as the kernel shows it between the parentheses.
    pub comm: String,
    /// Where the heap starts (`start_brk`, field 47); 0 when the kernel hides it.
    pub start_brk: u64,
    /// When the process started, in clock ticks since boot (field 22): with the pid it
    /// names a process uniquely, through pid reuse.
    pub start_time: u64,
}

/// Parses a stat line. The comm may hold spaces and parentheses, so the fields are counted
/// from the last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    // Fields after the comm start with field 3 (state).
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        comm,
        start_time: field(22)?,
        start_brk: field(47).unwrap_or(0),
    })
}

/// The nice of a stat line (field 19).
pub fn nice_of(text: &str) -> Option<i32> {
    let close = text.rfind(')')?;
    text.get(close + 1..)?
        .split_whitespace()
        .nth(19 - 3)?
        .parse()
        .ok()
}

/// The calling thread's nice, from `/proc/thread-self/stat`.
pub fn thread_nice() -> Option<i32> {
    nice_of(&std::fs::read_to_string("/proc/thread-self/stat").ok()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_nice_is_field_19_whatever_the_comm() {
        let line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 -5 3 0 1234 0";
        assert_eq!(super::nice_of(line), Some(-5));
        assert_eq!(super::nice_of("42 (x) S 1"), None);
        let me = super::thread_nice().expect("this thread's stat");
        assert!((-20..=19).contains(&me), "{me}");
    }

    use super::*;

    #[test]
    fn parses_stat_with_a_hostile_comm() {
        let line = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 \
                    5555 1000000 200 18446744073709551615 94000000000000 94000000001000 \
                    140000000000000 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94000000002000 \
                    94000000003000 94000000004096 140000000001000 140000000001100 \
                    140000000001100 140000000001200 0\n";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.comm, "a) b (c)");
        assert_eq!(s.start_time, 5555);
        assert_eq!(s.start_brk, 94000000004096);
        assert!(parse_stat("garbage").is_none());
        assert!(parse_stat("1 (x) S").is_none());
    }
}
