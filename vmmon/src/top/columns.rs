//! The table's columns: header, width, alignment, cell text and sort order, and which of them
//! fit a terminal's width. Pure.

use super::table::Row;
use super::text::{rate, signed_size, size};
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Pid,
    User,
    Virt,
    Res,
    GrowthRate,
    GrowthWindow,
    Heap,
    Anon,
    File,
    Stack,
    Maps,
    MmapRate,
    MunmapRate,
    MprotectRate,
    BrkRate,
    Wx,
    Comm,
}

impl Column {
    /// In display order.
    pub const ALL: [Column; 17] = [
        Column::Pid,
        Column::User,
        Column::Virt,
        Column::Res,
        Column::GrowthRate,
        Column::GrowthWindow,
        Column::Heap,
        Column::Anon,
        Column::File,
        Column::Stack,
        Column::Maps,
        Column::MmapRate,
        Column::MunmapRate,
        Column::MprotectRate,
        Column::BrkRate,
        Column::Wx,
        Column::Comm,
    ];

    /// Always shown; the others scroll sideways when the terminal is narrow.
    pub fn pinned(self) -> bool {
        matches!(self, Column::Pid | Column::Wx | Column::Comm)
    }

    /// The name `--sort` takes.
    pub fn name(self) -> &'static str {
        match self {
            Column::Pid => "pid",
            Column::User => "user",
            Column::Virt => "virt",
            Column::Res => "res",
            Column::GrowthRate => "growth",
            Column::GrowthWindow => "growth-window",
            Column::Heap => "heap",
            Column::Anon => "anon",
            Column::File => "file",
            Column::Stack => "stack",
            Column::Maps => "maps",
            Column::MmapRate => "mmap",
            Column::MunmapRate => "munmap",
            Column::MprotectRate => "mprotect",
            Column::BrkRate => "brk",
            Column::Wx => "wx",
            Column::Comm => "comm",
        }
    }

    pub fn from_name(s: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == s)
    }

    /// The header; the growth window's is named for its length (`GROW/1m`).
    pub fn header(self, window_s: u64) -> String {
        match self {
            Column::Pid => "PID".into(),
            Column::User => "USER".into(),
            Column::Virt => "VIRT".into(),
            Column::Res => "RES".into(),
            Column::GrowthRate => "GROW/s".into(),
            Column::GrowthWindow => match window_s {
                s if s % 60 == 0 && s > 0 => format!("GROW/{}m", s / 60),
                s => format!("GROW/{s}s"),
            },
            Column::Heap => "HEAP".into(),
            Column::Anon => "ANON".into(),
            Column::File => "FILE".into(),
            Column::Stack => "STACK".into(),
            Column::Maps => "MAPS".into(),
            Column::MmapRate => "MMAP/s".into(),
            Column::MunmapRate => "UNMAP/s".into(),
            Column::MprotectRate => "PROT/s".into(),
            Column::BrkRate => "BRK/s".into(),
            Column::Wx => "WX".into(),
            Column::Comm => "COMMAND".into(),
        }
    }

    /// Width in cells.
    pub fn width(self) -> usize {
        match self {
            Column::Pid => 7,
            Column::User => 8,
            Column::Virt
            | Column::Res
            | Column::Heap
            | Column::Anon
            | Column::File
            | Column::Stack => 7,
            Column::GrowthRate | Column::GrowthWindow => 8,
            Column::Maps => 5,
            Column::MmapRate | Column::MprotectRate | Column::BrkRate => 6,
            Column::MunmapRate => 7,
            Column::Wx => 2,
            Column::Comm => 16,
        }
    }

    pub fn right_aligned(self) -> bool {
        !matches!(self, Column::User | Column::Comm | Column::Wx)
    }

    pub fn cell(self, r: &Row) -> String {
        match self {
            Column::Pid => r.pid.to_string(),
            Column::User => r.user.clone(),
            Column::Virt => size(r.virt),
            Column::Res => r.res.map_or_else(|| "-".into(), size),
            Column::GrowthRate => signed_size(r.growth_per_s),
            Column::GrowthWindow => signed_size(r.growth_window),
            Column::Heap => size(r.heap),
            Column::Anon => size(r.anon),
            Column::File => size(r.file),
            Column::Stack => size(r.stack),
            Column::Maps => r.maps.to_string(),
            Column::MmapRate => rate(r.rates.mmap),
            Column::MunmapRate => rate(r.rates.munmap),
            Column::MprotectRate => rate(r.rates.mprotect),
            Column::BrkRate => rate(r.rates.brk),
            Column::Wx => if r.wx > 0 { "WX" } else { "" }.into(),
            Column::Comm => r.comm.clone(),
        }
    }

    /// Ascending order by this column.
    pub fn compare(self, a: &Row, b: &Row) -> Ordering {
        let f = |x: f64, y: f64| x.total_cmp(&y);
        match self {
            Column::Pid => a.pid.cmp(&b.pid),
            Column::User => a.user.cmp(&b.user),
            Column::Virt => a.virt.cmp(&b.virt),
            Column::Res => a.res.cmp(&b.res),
            Column::GrowthRate => a.growth_per_s.cmp(&b.growth_per_s),
            Column::GrowthWindow => a.growth_window.cmp(&b.growth_window),
            Column::Heap => a.heap.cmp(&b.heap),
            Column::Anon => a.anon.cmp(&b.anon),
            Column::File => a.file.cmp(&b.file),
            Column::Stack => a.stack.cmp(&b.stack),
            Column::Maps => a.maps.cmp(&b.maps),
            Column::MmapRate => f(a.rates.mmap, b.rates.mmap),
            Column::MunmapRate => f(a.rates.munmap, b.rates.munmap),
            Column::MprotectRate => f(a.rates.mprotect, b.rates.mprotect),
            Column::BrkRate => f(a.rates.brk, b.rates.brk),
            Column::Wx => a.wx.cmp(&b.wx),
            Column::Comm => a.comm.to_lowercase().cmp(&b.comm.to_lowercase()),
        }
    }

    /// Numbers sort largest first when first chosen; names and pids smallest first.
    pub fn descending_by_default(self) -> bool {
        !matches!(self, Column::Pid | Column::User | Column::Comm)
    }
}

/// The columns that fit `width` cells (one space between columns): the pinned ones, and
/// the others from `scroll` on, moved so that `keep` is among them.
pub fn visible(width: usize, scroll: usize, keep: Column) -> Vec<Column> {
    let pinned: usize = Column::ALL
        .iter()
        .filter(|c| c.pinned())
        .map(|c| c.width() + 1)
        .sum();
    let free: Vec<Column> = Column::ALL.into_iter().filter(|c| !c.pinned()).collect();
    let fits = |from: usize| {
        let mut left = width.saturating_sub(pinned);
        free[from.min(free.len())..]
            .iter()
            .take_while(|c| {
                let ok = c.width() < left;
                if ok {
                    left -= c.width() + 1;
                }
                ok
            })
            .count()
    };
    let mut start = scroll.min(free.len().saturating_sub(1));
    if let Some(k) = free.iter().position(|&c| c == keep) {
        if k < start {
            start = k;
        }
        while start < k && start + fits(start) <= k {
            start += 1;
        }
    }
    let shown = &free[start..start + fits(start)];
    Column::ALL
        .into_iter()
        .filter(|c| c.pinned() || shown.contains(c))
        .collect()
}

/// How far the sideways scroll can go at `width`: past it nothing new would come into view.
pub fn max_scroll(width: usize) -> usize {
    let free = Column::ALL.iter().filter(|c| !c.pinned()).count();
    (0..free)
        .find(|&s| {
            visible(width, s, Column::Pid).last() == Some(&Column::Comm)
                && visible(width, s, Column::Pid).contains(&Column::BrkRate)
        })
        .unwrap_or(free - 1)
}

#[cfg(test)]
mod tests;
