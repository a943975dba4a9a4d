//! An address space's regions by start address: a sorted sequence of shared chunks.
//!
//! The owner changes one or two regions per event, and publishes the map after each drain:
//! a clone must cost next to nothing, and a change after a clone must copy little. Each chunk
//! of at most [`CHUNK_MAX`] regions is shared (`Arc`) and copied only when changed while
//! shared; a clone copies one pointer and one start address per chunk. Every lookup is two
//! binary searches and allocates nothing, which a general persistent B-tree's iterators do.

use super::region::Region;
use super::sites::SiteSpans;
use smallvec::SmallVec;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// Regions a chunk is cut back to when it splits.
const CHUNK: usize = 16;
/// The most regions in a chunk.
const CHUNK_MAX: usize = 2 * CHUNK;

/// The regions of an address space by start address (see the module's doc).
#[derive(Clone, Debug, Default)]
pub struct RegionMap {
    /// Every chunk's first start address, in order: where to look for a key.
    firsts: Vec<u64>,
    /// Non-empty, sorted by start, no start twice across them.
    chunks: Vec<Arc<Vec<Region>>>,
    len: usize,
}

impl PartialEq for RegionMap {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.values().eq(other.values())
    }
}

impl Eq for RegionMap {}

impl RegionMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `start` if any region does: the last whose first is at or below.
    fn chunk_of(&self, start: u64) -> Option<usize> {
        self.firsts.partition_point(|&f| f <= start).checked_sub(1)
    }

    /// Where `start` is, or would go, in chunk `c`.
    fn find_in(&self, c: usize, start: u64) -> Result<usize, usize> {
        self.chunks[c].binary_search_by_key(&start, |r| r.start)
    }

    /// The region starting at `start`.
    pub fn get(&self, start: &u64) -> Option<&Region> {
        let c = self.chunk_of(*start)?;
        let i = self.find_in(c, *start).ok()?;
        Some(&self.chunks[c][i])
    }

    /// The region starting at `start`, to change in place (its start must not change).
    pub fn get_mut(&mut self, start: &u64) -> Option<&mut Region> {
        let c = self.chunk_of(*start)?;
        let i = self.find_in(c, *start).ok()?;
        Some(&mut Arc::make_mut(&mut self.chunks[c])[i])
    }

    /// The region with the greatest start at or below `at`.
    pub fn get_prev(&self, at: &u64) -> Option<(&u64, &Region)> {
        let c = self.chunk_of(*at)?;
        let chunk = &self.chunks[c];
        // The chunk's first start is at or below `at`: there is one.
        let r = &chunk[chunk.partition_point(|r| r.start <= *at) - 1];
        Some((&r.start, r))
    }

    /// The region with the least start at or above `at`.
    pub fn get_next(&self, at: &u64) -> Option<(&u64, &Region)> {
        let (c, i) = self.position(Bound::Included(at));
        let r = self.chunks.get(c)?.get(i)?;
        Some((&r.start, r))
    }

    /// Puts `region` in under `start` (which must be its start), returning the one that was
    /// there.
    pub fn insert(&mut self, start: u64, region: Region) -> Option<Region> {
        debug_assert_eq!(start, region.start);
        let Some(c) = self
            .chunk_of(start)
            .or((!self.chunks.is_empty()).then_some(0))
        else {
            self.firsts.push(start);
            self.chunks.push(Arc::new(vec![region]));
            self.len = 1;
            return None;
        };
        let at = self.find_in(c, start);
        let chunk = Arc::make_mut(&mut self.chunks[c]);
        match at {
            Ok(i) => return Some(std::mem::replace(&mut chunk[i], region)),
            Err(i) => chunk.insert(i, region),
        }
        self.firsts[c] = chunk[0].start;
        self.len += 1;
        if chunk.len() > CHUNK_MAX {
            let right = chunk.split_off(CHUNK);
            self.firsts.insert(c + 1, right[0].start);
            self.chunks.insert(c + 1, Arc::new(right));
        }
        None
    }

    /// Puts `region` where the region starting at `start` is, in its place: its start may
    /// differ, as long as no other region starts between the two (the order stays; a
    /// region that grows down or shrinks from its start). Returns the one replaced.
    pub fn replace_at(&mut self, start: u64, region: Region) -> Option<Region> {
        let c = self.chunk_of(start)?;
        let i = self.find_in(c, start).ok()?;
        let chunk = Arc::make_mut(&mut self.chunks[c]);
        debug_assert!(i == 0 || chunk[i - 1].start < region.start);
        debug_assert!(chunk.get(i + 1).is_none_or(|n| region.start < n.start));
        debug_assert!(c == 0 || self.firsts[c - 1] < region.start);
        debug_assert!(self.firsts.get(c + 1).is_none_or(|&n| region.start < n));
        let old = std::mem::replace(&mut chunk[i], region);
        if i == 0 {
            self.firsts[c] = chunk[0].start;
        }
        Some(old)
    }

    /// Takes out the region starting at `start`.
    pub fn remove(&mut self, start: &u64) -> Option<Region> {
        let c = self.chunk_of(*start)?;
        let i = self.find_in(c, *start).ok()?;
        let chunk = Arc::make_mut(&mut self.chunks[c]);
        let gone = chunk.remove(i);
        self.len -= 1;
        if chunk.is_empty() {
            self.firsts.remove(c);
            self.chunks.remove(c);
        } else {
            self.firsts[c] = chunk[0].start;
            self.join_small(c);
        }
        Some(gone)
    }

    /// Joins chunk `c` with the next when both fit in one chunk, so that removals do not
    /// leave a trail of tiny chunks.
    fn join_small(&mut self, c: usize) {
        let Some(next) = self.chunks.get(c + 1) else {
            return;
        };
        if self.chunks[c].len() + next.len() > CHUNK {
            return;
        }
        let next = self.chunks.remove(c + 1);
        self.firsts.remove(c + 1);
        let next = Arc::unwrap_or_clone(next);
        Arc::make_mut(&mut self.chunks[c]).extend(next);
    }

    /// The (chunk, index) of the first region at or after `bound`, as a start bound.
    fn position(&self, bound: Bound<&u64>) -> (usize, usize) {
        let (key, strict) = match bound {
            Bound::Unbounded => return (0, 0),
            Bound::Included(&k) => (k, false),
            Bound::Excluded(&k) => (k, true),
        };
        let past = |r: &Region| {
            if strict {
                r.start <= key
            } else {
                r.start < key
            }
        };
        let c = self.chunk_of(key).unwrap_or(0);
        match self.chunks.get(c) {
            Some(chunk) => {
                let i = chunk.partition_point(|r| past(r));
                if i == chunk.len() { (c + 1, 0) } else { (c, i) }
            }
            None => (c, 0),
        }
    }

    /// The (chunk, index) just past the last region before `bound`, as an end bound.
    fn end_position(&self, bound: Bound<&u64>) -> (usize, usize) {
        match bound {
            Bound::Unbounded => (self.chunks.len(), 0),
            Bound::Included(&k) => match k.checked_add(1) {
                Some(k) => self.position(Bound::Included(&k)),
                None => (self.chunks.len(), 0),
            },
            Bound::Excluded(k) => self.position(Bound::Included(k)),
        }
    }

    /// Hands `f` each region whose start is in `[start, end)`, in order, to change in place
    /// (starts and ends must not change): one walk, each chunk copied at most once.
    pub fn each_mut_in(&mut self, start: u64, end: u64, mut f: impl FnMut(&mut Region)) {
        let (mut c, mut i) = self.position(Bound::Included(&start));
        while c < self.chunks.len() {
            let chunk = Arc::make_mut(&mut self.chunks[c]);
            for r in &mut chunk[i..] {
                if r.start >= end {
                    return;
                }
                f(r);
            }
            (c, i) = (c + 1, 0);
        }
    }

    /// The regions whose starts are in `range`, in order (and backwards).
    pub fn range(&self, range: impl RangeBounds<u64>) -> Range<'_> {
        let front = self.position(range.start_bound());
        let back = self.end_position(range.end_bound());
        Range {
            map: self,
            front,
            back: if back < front { front } else { back },
        }
    }

    /// Every region as `(start, region)`, in order.
    pub fn iter(&self) -> Range<'_> {
        self.range(..)
    }

    /// Every region, in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Region> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The region containing `addr`.
    pub fn containing(&self, addr: u64) -> Option<&Region> {
        self.get_prev(&addr)
            .map(|(_, r)| r)
            .filter(|r| addr < r.end)
    }

    /// The call sites of `[start, end)` as these regions have them, rebased to `start` (no
    /// known site where nothing is mapped).
    pub fn spans_over(&self, start: u64, end: u64) -> SiteSpans {
        let mut spans = SiteSpans::default();
        let mut at = start;
        let overlapping: SmallVec<[&Region; 4]> = self
            .range(..end)
            .rev()
            .take_while(|(_, o)| o.end > start)
            .map(|(_, o)| o)
            .collect();
        for o in overlapping.into_iter().rev() {
            let (s, e) = (o.start.max(start), o.end.min(end));
            if s > at {
                spans.append(at - start, &SiteSpans::default());
            }
            spans.append(s - start, &o.sites.within(s - o.start, e - o.start));
            at = e;
        }
        if at < end {
            spans.append(at - start, &SiteSpans::default());
        }
        spans
    }
}

/// Regions of a [`RegionMap`] in address order, from either end.
pub struct Range<'a> {
    map: &'a RegionMap,
    /// The next region from the front, as (chunk, index), normalised so that the index is
    /// within its chunk unless the chunk is one past the last.
    front: (usize, usize),
    /// Just past the next region from the back, as (chunk, index): `(c, 0)` is the end of
    /// chunk `c - 1`.
    back: (usize, usize),
}

impl Range<'_> {
    /// `back` as the position of the region just before it, normalised like `front`.
    fn back_last(&self) -> Option<(usize, usize)> {
        let (c, i) = self.back;
        if i > 0 {
            Some((c, i - 1))
        } else {
            let c = c.checked_sub(1)?;
            Some((c, self.map.chunks[c].len() - 1))
        }
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = (&'a u64, &'a Region);

    fn next(&mut self) -> Option<Self::Item> {
        let last = self.back_last()?;
        if self.front > last {
            return None;
        }
        let (c, i) = self.front;
        let chunk = &self.map.chunks[c];
        let r = &chunk[i];
        self.front = if i + 1 == chunk.len() {
            (c + 1, 0)
        } else {
            (c, i + 1)
        };
        Some((&r.start, r))
    }
}

impl DoubleEndedIterator for Range<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let last = self.back_last()?;
        if self.front > last {
            return None;
        }
        let r = &self.map.chunks[last.0][last.1];
        self.back = last;
        Some((&r.start, r))
    }
}

impl FromIterator<(u64, Region)> for RegionMap {
    fn from_iter<I: IntoIterator<Item = (u64, Region)>>(iter: I) -> Self {
        let mut map = Self::new();
        for (k, r) in iter {
            map.insert(k, r);
        }
        map
    }
}

#[cfg(test)]
mod tests;
