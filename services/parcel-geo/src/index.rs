//! The map index: every current parcel outline in an in-memory R-tree (rstar), so that a
//! click on the map ([`ParcelIndex::pick`]) and a map view ([`ParcelIndex::in_box`]) never
//! touch the database.
//!
//! The index is loaded from the store at start and updated by the service right after each
//! write commits, under the same writer lock, so a write is visible to the very next pick.
//! Reads take a shared lock; the lock is held only for the search itself.
//!
//! Ties: a point on an edge or corner shared by several parcels is covered by all of them;
//! [`ParcelIndex::pick`] returns the one whose canonical renovation code is smallest when
//! compared as text (the rule in `property.proto`), so the answer never depends on the order
//! the tree happens to hold them in.

use std::sync::RwLock;

use estelam_domain::RenovationCode;
use geo::{Coord, Rect};
use rstar::{AABB, Envelope, RTree, RTreeObject, SelectionFunction};

use crate::geometry::Shape;

/// One parcel to put in the index: its code and current outline.
#[derive(Debug, Clone)]
pub struct IndexedParcel {
    /// The parcel.
    pub code: RenovationCode,
    shape: Shape,
}

impl IndexedParcel {
    /// An index entry for `code` with `shape`.
    pub fn new(code: RenovationCode, shape: Shape) -> Self {
        Self { code, shape }
    }

    /// The outline.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }
}

/// What the tree itself holds: an envelope and the slot of the parcel's outline. Keeping
/// tree nodes this small (40 bytes) halves the index's memory at a million parcels and makes
/// bulk loading move far less data.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    envelope: AABB<[f64; 2]>,
    slot: u32,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Finds a parcel's entry by code, descending only into nodes that contain its envelope.
struct SelectCode<'a> {
    code: RenovationCode,
    envelope: AABB<[f64; 2]>,
    slots: &'a [IndexedParcel],
}

impl SelectionFunction<Entry> for SelectCode<'_> {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 2]>) -> bool {
        envelope.contains_envelope(&self.envelope)
    }
    fn should_unpack_leaf(&self, leaf: &Entry) -> bool {
        self.slots[leaf.slot as usize].code == self.code
    }
}

/// Text order of canonical codes, the proto's tie-break rule (`"1-10-…" < "1-2-…"`).
fn text_order(a: &RenovationCode, b: &RenovationCode) -> std::cmp::Ordering {
    if a == b {
        return std::cmp::Ordering::Equal;
    }
    a.to_string().cmp(&b.to_string())
}

#[derive(Debug, Default)]
struct Inner {
    tree: RTree<Entry>,
    /// Outline and code per slot; a replaced outline reuses its parcel's slot.
    slots: Vec<IndexedParcel>,
}

impl Inner {
    fn entries_in<'a>(
        &'a self,
        env: &AABB<[f64; 2]>,
    ) -> impl Iterator<Item = (&'a Entry, &'a IndexedParcel)> + 'a {
        self.tree
            .locate_in_envelope_intersecting(env)
            .map(|e| (e, &self.slots[e.slot as usize]))
    }
}

/// The current outline of every parcel, searchable by point and rectangle.
#[derive(Debug, Default)]
pub struct ParcelIndex {
    inner: RwLock<Inner>,
}

fn slot_id(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 4 billion parcels in one index")
}

impl ParcelIndex {
    /// An index over `parcels`, bulk-loaded (much faster than inserting one by one).
    pub fn build(parcels: Vec<IndexedParcel>) -> Self {
        let entries: Vec<Entry> = parcels
            .iter()
            .enumerate()
            .map(|(i, p)| Entry {
                envelope: p.shape.envelope(),
                slot: slot_id(i),
            })
            .collect();
        let mut slots = parcels;
        slots.shrink_to_fit();
        Self {
            inner: RwLock::new(Inner {
                tree: RTree::bulk_load(entries),
                slots,
            }),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the tree half-modified (rstar's
        // insert/remove complete or unwind before touching the structure), so reuse it.
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many parcels are indexed.
    pub fn len(&self) -> usize {
        self.read().tree.size()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parcel covering the point (inside or on its boundary); on a shared edge or corner
    /// the smallest code as text. `None` in a street, a park without a parcel, or outside
    /// the city.
    pub fn pick(&self, lon: f64, lat: f64) -> Option<RenovationCode> {
        let inner = self.read();
        let probe = AABB::from_point([lon, lat]);
        let mut best: Option<RenovationCode> = None;
        for (_, p) in inner.entries_in(&probe) {
            if !p.shape.covers_point(lon, lat) {
                continue;
            }
            best = match best {
                Some(b) if text_order(&b, &p.code).is_le() => Some(b),
                _ => Some(p.code),
            };
        }
        best
    }

    /// Every parcel whose outline meets the rectangle, in text order of their codes.
    pub fn in_box(&self, rect: &Rect<f64>) -> Vec<RenovationCode> {
        self.in_box_page(rect, "", usize::MAX).0
    }

    /// One page of [`ParcelIndex::in_box`]: the first `limit` codes (in text order) after
    /// `after`, and whether more follow. Costs one pass over the box, not a full sort.
    pub fn in_box_page(
        &self,
        rect: &Rect<f64>,
        after: &str,
        limit: usize,
    ) -> (Vec<RenovationCode>, bool) {
        let inner = self.read();
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let mut codes: Vec<(String, RenovationCode)> = inner
            .entries_in(&env)
            .filter_map(|(e, p)| {
                let text = p.code.to_string();
                // An envelope entirely inside the box needs no exact test.
                (text.as_str() > after
                    && (env.contains_envelope(&e.envelope) || p.shape.intersects_rect(rect)))
                .then_some((text, p.code))
            })
            .collect();
        drop(inner);
        let more = codes.len() > limit;
        if more {
            codes.select_nth_unstable_by(limit, |a, b| a.0.cmp(&b.0));
            codes.truncate(limit);
        }
        codes.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        (codes.into_iter().map(|(_, c)| c).collect(), more)
    }

    /// Codes of indexed parcels whose outline overlaps `shape` (see
    /// [`Shape::overlaps`]), ignoring `except` (the parcel being replaced).
    pub fn overlapping(
        &self,
        shape: &Shape,
        except: Option<&RenovationCode>,
    ) -> Vec<RenovationCode> {
        let inner = self.read();
        let mut out: Vec<RenovationCode> = inner
            .entries_in(&shape.envelope())
            .filter(|(_, p)| Some(&p.code) != except && p.shape.overlaps(shape))
            .map(|(_, p)| p.code)
            .collect();
        out.sort_unstable_by(text_order);
        out
    }

    /// Puts a parcel's current outline in the index, replacing the one it has: found near
    /// `previous` (the old outline's envelope, known from the store) or near the new outline
    /// (when this version was applied already). Putting the same version twice changes
    /// nothing, so catching up with the store may re-apply what this process wrote itself.
    pub fn put(&self, parcel: IndexedParcel, previous: Option<AABB<[f64; 2]>>) {
        let mut guard = self.write();
        let inner = &mut *guard;
        let envelope = parcel.shape.envelope();
        let old = previous.into_iter().chain([envelope]).find_map(|near| {
            inner.tree.remove_with_selection_function(SelectCode {
                code: parcel.code,
                envelope: near,
                slots: &inner.slots,
            })
        });
        let slot = match old {
            Some(e) => {
                inner.slots[e.slot as usize] = parcel;
                e.slot
            }
            None => {
                inner.slots.push(parcel);
                slot_id(inner.slots.len() - 1)
            }
        };
        inner.tree.insert(Entry { envelope, slot });
    }

    /// Adds many new parcels (an import): a bulk load when the index is empty, else
    /// [`ParcelIndex::put`] for each.
    pub fn extend(&self, parcels: Vec<IndexedParcel>) {
        {
            let mut guard = self.write();
            if guard.slots.is_empty() {
                *guard = Self::build(parcels)
                    .inner
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                return;
            }
        }
        for p in parcels {
            self.put(p, None);
        }
    }

    /// The indexed outline of a parcel near an envelope, if any (for tests and tools).
    pub fn shape_of(&self, code: &RenovationCode, near: AABB<[f64; 2]>) -> Option<Shape> {
        let inner = self.read();
        inner
            .tree
            .locate_with_selection_function(SelectCode {
                code: *code,
                envelope: near,
                slots: &inner.slots,
            })
            .next()
            .map(|e| inner.slots[e.slot as usize].shape.clone())
    }
}

/// A rectangle from a WGS84 bounding box (min lon, min lat, max lon, max lat).
pub fn rect(min_lon: f64, min_lat: f64, max_lon: f64, max_lat: f64) -> Rect<f64> {
    Rect::new(
        Coord {
            x: min_lon,
            y: min_lat,
        },
        Coord {
            x: max_lon,
            y: max_lat,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64) -> Shape {
        Shape::parse(&format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}"#,
            x2 = x + s,
            y2 = y + s
        ))
        .unwrap()
    }

    fn code(s: &str) -> RenovationCode {
        RenovationCode::parse(s).unwrap()
    }

    #[test]
    fn shared_edges_resolve_to_the_smallest_code_as_text() {
        // "1-10-…" sorts before "1-2-…" as text, though 10 > 2 as a number.
        let index = ParcelIndex::build(vec![
            IndexedParcel::new(code("1-2-1-1-0-0"), square(0.0, 0.0, 1.0)),
            IndexedParcel::new(code("1-10-1-1-0-0"), square(1.0, 0.0, 1.0)),
        ]);
        assert_eq!(index.pick(1.0, 0.5), Some(code("1-10-1-1-0-0")));
        assert_eq!(index.pick(0.5, 0.5), Some(code("1-2-1-1-0-0")));
        assert_eq!(index.pick(2.5, 0.5), None);
    }

    #[test]
    fn a_replaced_outline_moves_at_once() {
        let index = ParcelIndex::build(vec![IndexedParcel::new(
            code("1-1-1-1-0-0"),
            square(0.0, 0.0, 1.0),
        )]);
        let old = square(0.0, 0.0, 1.0).envelope();
        index.put(
            IndexedParcel::new(code("1-1-1-1-0-0"), square(5.0, 5.0, 1.0)),
            Some(old),
        );
        assert_eq!(index.pick(0.5, 0.5), None);
        assert_eq!(index.pick(5.5, 5.5), Some(code("1-1-1-1-0-0")));
        assert_eq!(index.len(), 1);
        // Re-applying the same version (catching up with the store) changes nothing.
        index.put(
            IndexedParcel::new(code("1-1-1-1-0-0"), square(5.0, 5.0, 1.0)),
            Some(old),
        );
        index.put(
            IndexedParcel::new(code("1-1-1-1-0-0"), square(5.0, 5.0, 1.0)),
            None,
        );
        assert_eq!(index.len(), 1);
        assert_eq!(index.in_box(&rect(4.0, 4.0, 7.0, 7.0)).len(), 1);
    }

    #[test]
    fn a_box_lists_what_it_touches_in_code_order() {
        let index = ParcelIndex::build(vec![
            IndexedParcel::new(code("1-1-1-2-0-0"), square(0.0, 0.0, 1.0)),
            IndexedParcel::new(code("1-1-1-1-0-0"), square(1.0, 0.0, 1.0)),
            IndexedParcel::new(code("1-1-1-3-0-0"), square(3.0, 0.0, 1.0)),
        ]);
        assert_eq!(
            index.in_box(&rect(0.5, 0.5, 1.5, 0.6)),
            vec![code("1-1-1-1-0-0"), code("1-1-1-2-0-0")]
        );
        assert!(index.in_box(&rect(2.1, 0.1, 2.9, 0.9)).is_empty());
        assert_eq!(index.overlapping(&square(0.5, 0.0, 1.0), None).len(), 2);
        assert!(index.overlapping(&square(2.0, 0.0, 1.0), None).is_empty());
    }
}
