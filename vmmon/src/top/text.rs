//! Text for the terminal: names made safe to print, fitted to a width by display cells (wide
//! characters take two), and sizes in binary units. Pure.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `s` with everything that could move the cursor, change the terminal's state or reorder
/// text replaced by `?`: control characters (C0, DEL, C1) and the bidirectional and zero-width
/// format characters.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            let format = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}');
            if c.is_control() || format { '?' } else { c }
        })
        .collect()
}

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `cells` display cells, never splitting a wide character.
pub fn truncate(s: &str, cells: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > cells {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

/// `s` cut or padded with spaces to exactly `cells` display cells, left- or right-aligned.
pub fn fit(s: &str, cells: usize, right: bool) -> String {
    let t = truncate(s, cells);
    let pad = " ".repeat(cells - width(&t));
    if right { pad + &t } else { t + &pad }
}

const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

/// A size in at most 7 cells: `512 B`, `4.0 KiB`, `9.9 MiB`, `512 MiB`, `1.0 GiB`.
pub fn size(n: u64) -> String {
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 999.5 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v < 9.95 {
        format!("{v:.1} {}", UNITS[unit])
    } else {
        format!("{v:.0} {}", UNITS[unit])
    }
}

/// A signed size: `+1.5 MiB`, `-512 KiB`, `0`.
pub fn signed_size(n: i64) -> String {
    match n {
        0 => "0".into(),
        n if n > 0 => format!("+{}", size(n as u64)),
        n => format!("-{}", size(n.unsigned_abs())),
    }
}

/// A rate per second in at most 6 cells: `0`, `0.5`, `12`, `1.2k`, `45k`, `1.2M`.
pub fn rate(r: f64) -> String {
    if r <= 0.0 {
        return "0".into();
    }
    match r {
        r if r < 9.95 => format!("{r:.1}"),
        r if r < 999.5 => format!("{r:.0}"),
        r if r < 9_950.0 => format!("{:.1}k", r / 1e3),
        r if r < 999_500.0 => format!("{:.0}k", r / 1e3),
        r => format!("{:.1}M", r / 1e6),
    }
}

#[cfg(test)]
mod tests;
