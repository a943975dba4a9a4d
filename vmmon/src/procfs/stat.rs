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
mod tests;
