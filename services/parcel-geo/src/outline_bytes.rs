//! Parcel outlines as compact bytes: what the store keeps beside the GeoJSON text
//! (`parcel_versions.outline_bin`) so that the map index loads a million outlines without
//! parsing a million JSON documents.
//!
//! Format, version 1, every integer little-endian:
//!
//! ```text
//! u8   format version (1)
//! u8   kind: 1 = Polygon, 2 = MultiPolygon
//! u32  number of polygons (exactly 1 for a Polygon)
//! per polygon:
//!   u32  number of rings (at least 1: the exterior, then the holes)
//!   per ring:
//!     u32  number of positions
//!     per position: f64 longitude, f64 latitude (IEEE 754 binary64, degrees)
//! ```
//!
//! Coordinates keep every bit of the numbers the outline's text holds, so the index built
//! from the bytes is exactly the one built from the text: an edge shared with a neighbour,
//! or touching a map view's box, stays exactly where it was. Negative zero is written as
//! zero. The store's migration (`0060_outline_bin.sql`) computes the same bytes in SQL for
//! rows written before the column existed.
//!
//! [`decode`] refuses any byte string that is not exactly one such encoding (unknown
//! version or kind, a count larger than the bytes that follow, a coordinate outside WGS84,
//! a ring whose last position is not its first, trailing bytes) with an [`OutlineBytesError`], and never panics or allocates more than
//! the input's size: a corrupt row cannot take the service down. Every accepted input is
//! canonical: encoding what it decodes to gives the same bytes back.

use geo::{Coord, LineString, MultiPolygon, Polygon};

use crate::geometry::Shape;

/// The format version this module writes and reads.
pub const FORMAT_VERSION: u8 = 1;

const KIND_POLYGON: u8 = 1;
const KIND_MULTI: u8 = 2;
/// Bytes of one position: two f64.
const POSITION_BYTES: usize = 16;

/// Why bytes are not an outline, or an outline cannot be written as bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutlineBytesError {
    /// The first byte is not a format version this build reads.
    #[error("outline bytes of format version {0}; this build reads version {FORMAT_VERSION}")]
    UnknownVersion(u8),
    /// The kind byte is neither Polygon nor MultiPolygon.
    #[error("outline bytes of unknown kind {0}")]
    UnknownKind(u8),
    /// The bytes end before the counts say they should.
    #[error("outline bytes end early: {0}")]
    Truncated(&'static str),
    /// Bytes left over after the last position.
    #[error("outline bytes have {0} bytes after the last position")]
    TrailingBytes(usize),
    /// A Polygon whose polygon count is not 1.
    #[error("a Polygon must hold exactly one polygon, not {0}")]
    PolygonCount(u32),
    /// A polygon without its exterior ring.
    #[error("polygon {0} has no rings")]
    NoRings(usize),
    /// A ring whose last position is not its first (every stored ring is closed).
    #[error("ring {ring} of polygon {polygon} is not closed")]
    RingNotClosed {
        /// Which polygon.
        polygon: usize,
        /// Which ring of it.
        ring: usize,
    },
    /// A coordinate outside WGS84, not a finite number, or (when decoding) a negative
    /// zero, which is always written as zero.
    #[error("position {index} of ring {ring} of polygon {polygon} is outside WGS84")]
    OutOfRange {
        /// Which polygon.
        polygon: usize,
        /// Which ring of it.
        ring: usize,
        /// Which position of the ring.
        index: usize,
    },
    /// More polygons, rings or positions than a u32 counts (only when encoding).
    #[error("the outline has too many parts to encode")]
    TooLarge,
}

/// Whether a position is a finite WGS84 longitude and latitude.
fn in_range(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

fn checked(
    c: Coord<f64>,
    polygon: usize,
    ring: usize,
    index: usize,
) -> Result<(f64, f64), OutlineBytesError> {
    if !in_range(c.x, c.y) {
        return Err(OutlineBytesError::OutOfRange {
            polygon,
            ring,
            index,
        });
    }
    // `+ 0.0` turns a negative zero into zero and leaves every other number as it is.
    Ok((c.x + 0.0, c.y + 0.0))
}

fn count(n: usize) -> Result<[u8; 4], OutlineBytesError> {
    u32::try_from(n)
        .map(u32::to_le_bytes)
        .map_err(|_| OutlineBytesError::TooLarge)
}

fn encode_polygon(
    out: &mut Vec<u8>,
    p: &Polygon<f64>,
    polygon: usize,
) -> Result<(), OutlineBytesError> {
    out.extend_from_slice(&count(1 + p.interiors().len())?);
    for (ring, line) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        out.extend_from_slice(&count(line.0.len())?);
        for (index, c) in line.0.iter().enumerate() {
            let (lon, lat) = checked(*c, polygon, ring, index)?;
            out.extend_from_slice(&lon.to_le_bytes());
            out.extend_from_slice(&lat.to_le_bytes());
        }
    }
    Ok(())
}

fn positions(shape: &Shape) -> usize {
    let poly = |p: &Polygon<f64>| {
        p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()
    };
    match shape {
        Shape::Polygon(p) => poly(p),
        Shape::Multi(m) => m.0.iter().map(poly).sum(),
    }
}

/// The outline as bytes (format above). Fails only on a coordinate outside WGS84 or not
/// finite, which no validated outline has.
pub fn encode(shape: &Shape) -> Result<Vec<u8>, OutlineBytesError> {
    let mut out = Vec::with_capacity(6 + 16 + POSITION_BYTES * positions(shape));
    out.push(FORMAT_VERSION);
    match shape {
        Shape::Polygon(p) => {
            out.push(KIND_POLYGON);
            out.extend_from_slice(&1u32.to_le_bytes());
            encode_polygon(&mut out, p, 0)?;
        }
        Shape::Multi(m) => {
            out.push(KIND_MULTI);
            out.extend_from_slice(&count(m.0.len())?);
            for (i, p) in m.0.iter().enumerate() {
                encode_polygon(&mut out, p, i)?;
            }
        }
    }
    Ok(out)
}

/// Reads bytes front to back; every read checks the length first.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], OutlineBytesError> {
        let (head, rest) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or(OutlineBytesError::Truncated(what))?;
        self.bytes = rest;
        Ok(*head)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, OutlineBytesError> {
        Ok(self.take::<1>(what)?[0])
    }

    /// A count of items of at least `min_bytes` each: refused when the bytes left cannot
    /// hold that many, so a corrupt count never makes a large allocation.
    fn count(&mut self, what: &'static str, min_bytes: usize) -> Result<usize, OutlineBytesError> {
        let n = u32::from_le_bytes(self.take::<4>(what)?);
        let n = usize::try_from(n).map_err(|_| OutlineBytesError::Truncated(what))?;
        if n.saturating_mul(min_bytes) > self.bytes.len() {
            return Err(OutlineBytesError::Truncated(what));
        }
        Ok(n)
    }

    fn f64(&mut self, what: &'static str) -> Result<f64, OutlineBytesError> {
        Ok(f64::from_le_bytes(self.take::<8>(what)?))
    }
}

fn decode_polygon(r: &mut Reader<'_>, polygon: usize) -> Result<Polygon<f64>, OutlineBytesError> {
    let rings = r.count("ring count", 4)?;
    if rings == 0 {
        return Err(OutlineBytesError::NoRings(polygon));
    }
    let mut lines = Vec::with_capacity(rings);
    for ring in 0..rings {
        let n = r.count("position count", POSITION_BYTES)?;
        let mut coords = Vec::with_capacity(n);
        for index in 0..n {
            let lon = r.f64("longitude")?;
            let lat = r.f64("latitude")?;
            let negative_zero = |v: f64| v == 0.0 && v.is_sign_negative();
            if !in_range(lon, lat) || negative_zero(lon) || negative_zero(lat) {
                return Err(OutlineBytesError::OutOfRange {
                    polygon,
                    ring,
                    index,
                });
            }
            coords.push(Coord { x: lon, y: lat });
        }
        // geo closes an open ring when it builds the polygon, which would make the bytes of
        // what was read differ from the bytes read: an open ring is refused instead.
        if coords.first() != coords.last() {
            return Err(OutlineBytesError::RingNotClosed { polygon, ring });
        }
        lines.push(LineString::new(coords));
    }
    let mut it = lines.into_iter();
    let exterior = it.next().ok_or(OutlineBytesError::NoRings(polygon))?;
    Ok(Polygon::new(exterior, it.collect()))
}

/// The outline these bytes hold; any other byte string is refused with the reason.
pub fn decode(bytes: &[u8]) -> Result<Shape, OutlineBytesError> {
    let mut r = Reader { bytes };
    let version = r.u8("format version")?;
    if version != FORMAT_VERSION {
        return Err(OutlineBytesError::UnknownVersion(version));
    }
    let kind = r.u8("kind")?;
    // Every polygon takes at least its ring count and one ring's position count.
    let polygons = r.count("polygon count", 8)?;
    let shape = match kind {
        KIND_POLYGON => {
            if polygons != 1 {
                return Err(OutlineBytesError::PolygonCount(
                    u32::try_from(polygons).unwrap_or(u32::MAX),
                ));
            }
            Shape::Polygon(decode_polygon(&mut r, 0)?)
        }
        KIND_MULTI => {
            let mut parts = Vec::with_capacity(polygons);
            for i in 0..polygons {
                parts.push(decode_polygon(&mut r, i)?);
            }
            Shape::Multi(MultiPolygon::new(parts))
        }
        other => return Err(OutlineBytesError::UnknownKind(other)),
    };
    if !r.bytes.is_empty() {
        return Err(OutlineBytesError::TrailingBytes(r.bytes.len()));
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x: f64, y: f64, s: f64) -> Shape {
        Shape::parse(&format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}"#,
            x2 = x + s,
            y2 = y + s
        ))
        .unwrap()
    }

    #[test]
    fn a_square_is_smaller_than_its_text_and_reads_back_exactly() {
        let shape = square(51.551_234_567_890_12, 32.861_111_111_111_11, 0.000_2);
        let bytes = encode(&shape).unwrap();
        // Header 2 + polygon count 4 + ring count 4 + position count 4 + 5 positions.
        assert_eq!(bytes.len(), 14 + 5 * 16);
        assert!(bytes.len() < shape.to_geojson().len());
        let back = decode(&bytes).unwrap();
        assert_eq!(back, shape);
        assert_eq!(encode(&back).unwrap(), bytes);
    }

    #[test]
    fn the_layout_is_little_endian() {
        let shape = square(1.0, -2.0, 1.0);
        let bytes = encode(&shape).unwrap();
        assert_eq!(&bytes[..14], &[1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0]);
        assert_eq!(&bytes[14..22], &1.0f64.to_le_bytes());
        assert_eq!(&bytes[22..30], &(-2.0f64).to_le_bytes());
    }

    #[test]
    fn a_multipolygon_with_a_hole_round_trips() {
        let text = r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]],[[[10,10],[11,10],[11,11],[10,11],[10,10]]]]}"#;
        let shape = Shape::parse(text).unwrap();
        assert!(matches!(shape, Shape::Multi(_)));
        assert_eq!(decode(&encode(&shape).unwrap()).unwrap(), shape);
    }

    #[test]
    fn malformed_bytes_are_refused_with_the_reason() {
        let good = encode(&square(51.55, 32.86, 0.001)).unwrap();
        assert_eq!(
            decode(&[]),
            Err(OutlineBytesError::Truncated("format version"))
        );
        let mut v2 = good.clone();
        v2[0] = 2;
        assert_eq!(decode(&v2), Err(OutlineBytesError::UnknownVersion(2)));
        let mut kind = good.clone();
        kind[1] = 7;
        assert_eq!(decode(&kind), Err(OutlineBytesError::UnknownKind(7)));
        let mut two = good.clone();
        two[2] = 2;
        assert!(decode(&two).is_err());
        let mut long = good.clone();
        long.push(0);
        assert_eq!(decode(&long), Err(OutlineBytesError::TrailingBytes(1)));
        // A count far beyond the bytes present is refused before anything is allocated.
        let mut huge = good.clone();
        huge[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode(&huge),
            Err(OutlineBytesError::Truncated("position count"))
        );
        for bad in [181.0, f64::NAN, f64::INFINITY, -0.0] {
            let mut far = good.clone();
            far[14..22].copy_from_slice(&bad.to_le_bytes());
            assert!(
                matches!(
                    decode(&far),
                    Err(OutlineBytesError::OutOfRange { index: 0, .. })
                ),
                "{bad}"
            );
        }
        let mut open = good.clone();
        let last = good.len() - POSITION_BYTES;
        open[last..last + 8].copy_from_slice(&0.5f64.to_le_bytes());
        assert_eq!(
            decode(&open),
            Err(OutlineBytesError::RingNotClosed {
                polygon: 0,
                ring: 0
            })
        );
        for cut in 0..good.len() {
            assert!(decode(&good[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn non_finite_or_out_of_range_coordinates_are_not_encoded() {
        let bad = Shape::Polygon(Polygon::new(
            LineString::new(vec![
                Coord {
                    x: f64::NAN,
                    y: 0.0
                };
                4
            ]),
            vec![],
        ));
        assert!(matches!(
            encode(&bad),
            Err(OutlineBytesError::OutOfRange { .. })
        ));
        let far = Shape::Polygon(Polygon::new(
            LineString::new(vec![Coord { x: 181.0, y: 0.0 }; 4]),
            vec![],
        ));
        assert!(encode(&far).is_err());
        let zero = Shape::Polygon(Polygon::new(
            LineString::new(vec![Coord { x: -0.0, y: 0.0 }; 4]),
            vec![],
        ));
        let bytes = encode(&zero).unwrap();
        assert_eq!(&bytes[14..22], &0.0f64.to_le_bytes());
    }

    /// Any WGS84 position, zeros positive (as stored).
    fn grid_coord() -> impl Strategy<Value = Coord<f64>> {
        (-180.0f64..=180.0, -90.0f64..=90.0).prop_map(|(x, y)| Coord {
            x: x + 0.0,
            y: y + 0.0,
        })
    }

    /// Rings as stored: closed (geo closes them anyway), or empty.
    fn polygon() -> impl Strategy<Value = Polygon<f64>> {
        prop::collection::vec(prop::collection::vec(grid_coord(), 0..8), 1..4).prop_map(
            |mut rings| {
                let exterior = LineString::new(rings.remove(0));
                Polygon::new(exterior, rings.into_iter().map(LineString::new).collect())
            },
        )
    }

    fn shape() -> impl Strategy<Value = Shape> {
        prop_oneof![
            polygon().prop_map(Shape::Polygon),
            prop::collection::vec(polygon(), 0..4)
                .prop_map(|ps| Shape::Multi(MultiPolygon::new(ps))),
        ]
    }

    proptest! {
        /// Any WGS84 outline reads back exactly, and its bytes are canonical.
        #[test]
        fn outlines_round_trip_exactly(shape in shape()) {
            let bytes = encode(&shape).unwrap();
            let back = decode(&bytes).unwrap();
            prop_assert_eq!(&back, &shape);
            prop_assert_eq!(encode(&back).unwrap(), bytes);
        }

        /// Arbitrary bytes never panic; whatever decodes encodes back to the same bytes.
        #[test]
        fn arbitrary_bytes_are_refused_or_canonical(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(shape) = decode(&bytes) {
                prop_assert_eq!(encode(&shape).unwrap(), bytes);
            }
        }

        /// Valid encodings with one byte changed never panic and stay canonical if accepted.
        #[test]
        fn flipped_bytes_are_refused_or_canonical(shape in shape(), at in any::<prop::sample::Index>(), to in any::<u8>()) {
            let mut bytes = encode(&shape).unwrap();
            let i = at.index(bytes.len());
            bytes[i] = to;
            if let Ok(shape) = decode(&bytes) {
                prop_assert_eq!(encode(&shape).unwrap(), bytes);
            }
        }
    }
}
