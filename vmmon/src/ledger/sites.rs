//! Which call site made each byte of a region, and the bytes each call site still holds.
//!
//! A region is one mapping as the kernel keeps it, but the kernel merges neighbouring
//! mappings that different calls made: so a region keeps runs of call sites ([`SiteSpans`]),
//! which a split divides, a merge joins, a move carries along and an unmap cuts. What a call
//! site holds is then the sum of its runs over the regions (see
//! [`super::AddressSpace::sites`]).

use smallvec::SmallVec;

/// A call site: the id of its frames (in the agent's table of sites); [`NO_SITE`] when not
/// known (read from `/proc`, or not captured).
pub type SiteId = u64;

/// The site of bytes no captured call made.
pub const NO_SITE: SiteId = 0;

/// How a site is named in the API: its id in hex, 16 digits.
pub fn site_name(site: SiteId) -> String {
    format!("{site:016x}")
}

/// Runs of call sites over a region, as `(offset from the region's start, site)` in offset
/// order, the first at offset 0; none when no byte of it has a known site (most regions read
/// from `/proc`, and every one when sites are not captured). One pointer in a region, boxed
/// only when some site is known: every region pays for it, few have one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SiteSpans(Option<Box<Runs>>);

type Runs = SmallVec<[(u64, SiteId); 2]>;

impl SiteSpans {
    /// Every byte made by `site`.
    pub fn of(site: SiteId) -> Self {
        if site == NO_SITE {
            return Self::default();
        }
        let mut runs = Runs::new();
        runs.push((0, site));
        Self(Some(Box::new(runs)))
    }

    fn runs(&self) -> &[(u64, SiteId)] {
        self.0.as_deref().map_or(&[], |r| r.as_slice())
    }

    fn runs_mut(&mut self) -> &mut Runs {
        self.0.get_or_insert_with(Default::default)
    }

    /// No byte with a known site.
    pub fn is_unknown(&self) -> bool {
        self.runs().is_empty()
    }

    /// The site of the byte at offset `at`.
    pub fn at(&self, at: u64) -> SiteId {
        self.runs()
            .iter()
            .take_while(|&&(o, _)| o <= at)
            .last()
            .map_or(NO_SITE, |&(_, s)| s)
    }

    /// Keeps the runs before offset `at` and returns those from it on, rebased to 0 (a
    /// region split at `at`).
    pub fn split_off(&mut self, at: u64) -> SiteSpans {
        if self.is_unknown() {
            return Self::default();
        }
        let mut right = Runs::new();
        right.push((0, self.at(at)));
        right.extend(
            self.runs()
                .iter()
                .filter(|&&(o, _)| o > at)
                .map(|&(o, s)| (o - at, s)),
        );
        let mut right = SiteSpans(Some(Box::new(right)));
        self.runs_mut().retain(|&mut (o, _)| o < at);
        self.normalize();
        right.normalize();
        right
    }

    /// Keeps only the runs of the first `len` bytes (a region cut short).
    pub fn truncate(&mut self, len: u64) {
        if let Some(runs) = &mut self.0 {
            runs.retain(|&mut (o, _)| o < len);
            self.normalize();
        }
    }

    /// Appends `next`'s runs after this region's first `len` bytes (a merge with the region
    /// that follows); runs of this one past `len` go.
    pub fn append(&mut self, len: u64, next: &SiteSpans) {
        self.truncate(len);
        if self.is_unknown() && next.is_unknown() {
            return;
        }
        let runs = self.runs_mut();
        if runs.is_empty() {
            runs.push((0, NO_SITE));
        }
        if next.is_unknown() {
            runs.push((len, NO_SITE));
        } else {
            runs.extend(next.runs().iter().map(|&(o, s)| (o + len, s)));
        }
        self.normalize();
    }

    /// Bytes added after this region's `len` bytes, by `site` (a mapping grown in place).
    pub fn grow(&mut self, len: u64, site: SiteId) {
        self.append(len, &SiteSpans::of(site));
    }

    /// The runs of `[from, to)` of a region of `len` bytes, rebased to `from`.
    pub(super) fn within(&self, from: u64, to: u64) -> SiteSpans {
        let mut part = self.clone().split_off(from);
        part.truncate(to - from);
        part
    }

    /// Each run's site and bytes, over a region of `len` bytes.
    pub fn each(&self, len: u64, mut f: impl FnMut(SiteId, u64)) {
        let runs = self.runs();
        if runs.is_empty() {
            f(NO_SITE, len);
            return;
        }
        for (i, &(o, s)) in runs.iter().enumerate() {
            let end = runs.get(i + 1).map_or(len, |&(n, _)| n).min(len);
            if end > o {
                f(s, end - o);
            }
        }
    }

    /// Runs of the same site joined; all unknown is none.
    fn normalize(&mut self) {
        let Some(runs) = &mut self.0 else {
            return;
        };
        // A run that the next starts at the same offset as covers nothing.
        let mut i = 0;
        while i + 1 < runs.len() {
            if runs[i].0 == runs[i + 1].0 {
                runs.remove(i);
            } else {
                i += 1;
            }
        }
        runs.dedup_by(|b, a| a.1 == b.1);
        if runs.is_empty() || (runs.len() == 1 && runs[0].1 == NO_SITE) {
            self.0 = None;
        }
    }
}

/// Every call site's frames (innermost first), by id: what the agent's core has seen.
pub type SiteTable = imbl::HashMap<SiteId, std::sync::Arc<[u64]>>;

/// What one call site holds in an address space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SiteTotal {
    pub site: SiteId,
    /// Bytes mapped now that it made.
    pub bytes: u64,
    /// Mappings holding some of them.
    pub regions: usize,
}

/// What each call site holds over `regions`, most bytes first (bytes with no known site
/// under [`NO_SITE`]; `[vsyscall]`, no part of the address space, left out).
pub fn totals<'a>(regions: impl IntoIterator<Item = &'a super::Region>) -> Vec<SiteTotal> {
    let mut by_site: std::collections::HashMap<SiteId, SiteTotal> = Default::default();
    for r in regions {
        if r.kind == super::RegionKind::Vsyscall {
            continue;
        }
        let mut seen: SmallVec<[SiteId; 4]> = SmallVec::new();
        r.sites.each(r.len(), |site, bytes| {
            let t = by_site.entry(site).or_insert(SiteTotal {
                site,
                ..SiteTotal::default()
            });
            t.bytes += bytes;
            if !seen.contains(&site) {
                seen.push(site);
                t.regions += 1;
            }
        });
    }
    let mut all: Vec<SiteTotal> = by_site.into_values().collect();
    all.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.site.cmp(&b.site)));
    all
}

#[cfg(test)]
mod tests;
