//! Parcel outlines: parsing GeoJSON, the validity rules, and the few measurements the
//! service needs (envelope, a label point inside, geodesic area, overlap with another
//! outline). No I/O.
//!
//! A parcel outline is a GeoJSON `Polygon` or `MultiPolygon` geometry object in WGS84,
//! `[longitude, latitude]` order (RFC 7946). It is accepted when:
//! * every position has finite coordinates within -180..180 longitude and -90..90 latitude;
//! * every ring has at least four positions and is closed (first position = last);
//! * no ring intersects itself, holes lie inside their shell, parts of a MultiPolygon do not
//!   overlap (geo's OGC validity rules);
//! * the area is not zero, and there are at most [`MAX_VERTICES`] positions.
//!
//! Two outlines *overlap* when their interiors share an area larger than
//! [`OVERLAP_TOLERANCE_M2`]; touching along an edge or at a corner is not an overlap
//! (neighbouring parcels share edges). The tolerance absorbs the floating-point slivers that
//! digitised layers carry along shared edges without letting a real overlap through.

use std::fmt::Write as _;

use geo::{
    Area, BooleanOps, BoundingRect, Coord, GeodesicArea, InteriorPoint, Intersects, LineString,
    MultiPolygon, Point, Polygon, Rect, Relate, Validation,
};
use rstar::AABB;

/// Most positions one outline may have; a parcel needs far fewer, and the cap bounds the
/// cost of validating and indexing one write.
pub const MAX_VERTICES: usize = 10_000;

/// Overlap area (m²) below which two outlines are treated as sharing an edge: one square
/// decimetre, the precision of a deed's area.
pub const OVERLAP_TOLERANCE_M2: f64 = 0.01;

/// Metres per degree of latitude (mean; good to 1% anywhere, ample for tolerances).
const M_PER_DEG_LAT: f64 = 110_946.0;

/// A validated parcel outline.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// One polygon, possibly with holes: almost every parcel.
    Polygon(Polygon<f64>),
    /// Several disjoint polygons: a parcel split by a road or a stream.
    Multi(MultiPolygon<f64>),
}

/// Why an outline was refused; [`GeometryError::message_fa`] and `Display` say it to people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    /// Not a GeoJSON geometry object.
    #[error("the geometry is not a GeoJSON geometry object: {0}")]
    NotGeoJson(String),
    /// A geometry of another type (a Point, a LineString, a Feature…).
    #[error("the geometry must be a Polygon or MultiPolygon, not a {0}")]
    WrongType(String),
    /// A position with fewer than two numbers, or not finite.
    #[error("{ring}: position {index} is not a pair of finite numbers")]
    BadPosition {
        /// Which ring.
        ring: String,
        /// Index of the position in the ring.
        index: usize,
    },
    /// A position outside WGS84 longitude/latitude ranges (often swapped or projected).
    #[error(
        "{ring}: position {index} ({lon}, {lat}) is outside WGS84 (longitude -180..180, latitude -90..90); \
         coordinates must be [longitude, latitude] in degrees"
    )]
    OutOfRange {
        /// Which ring.
        ring: String,
        /// Index of the position in the ring.
        index: usize,
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// A ring with fewer than four positions.
    #[error("{ring} has {found} positions; a ring needs at least 4 (the last repeating the first)")]
    RingTooShort {
        /// Which ring.
        ring: String,
        /// How many positions it has.
        found: usize,
    },
    /// A ring whose last position differs from its first.
    #[error("{ring} is not closed: its last position must repeat its first")]
    RingNotClosed {
        /// Which ring.
        ring: String,
    },
    /// A ring that crosses or touches itself.
    #[error("{0} intersects itself")]
    SelfIntersection(String),
    /// Another OGC validity failure (hole outside its shell, overlapping parts…).
    #[error("the polygon is not valid: {0}")]
    Invalid(String),
    /// An outline enclosing no area.
    #[error("the polygon encloses no area")]
    ZeroArea,
    /// More than [`MAX_VERTICES`] positions.
    #[error("the geometry has more than {MAX_VERTICES} positions")]
    TooManyVertices,
}

impl GeometryError {
    /// Machine-readable reason.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotGeoJson(_) => "GEOMETRY_NOT_GEOJSON",
            Self::WrongType(_) => "GEOMETRY_WRONG_TYPE",
            Self::BadPosition { .. } => "GEOMETRY_BAD_POSITION",
            Self::OutOfRange { .. } => "GEOMETRY_OUT_OF_RANGE",
            Self::RingTooShort { .. } => "GEOMETRY_RING_TOO_SHORT",
            Self::RingNotClosed { .. } => "GEOMETRY_RING_NOT_CLOSED",
            Self::SelfIntersection(_) => "GEOMETRY_SELF_INTERSECTION",
            Self::Invalid(_) => "GEOMETRY_INVALID",
            Self::ZeroArea => "GEOMETRY_ZERO_AREA",
            Self::TooManyVertices => "GEOMETRY_TOO_MANY_VERTICES",
        }
    }

    /// What is wrong and what to do, in Persian.
    pub fn message_fa(&self) -> String {
        match self {
            Self::NotGeoJson(_) => "هندسه باید یک شیء هندسی GeoJSON باشد.".into(),
            Self::WrongType(t) => format!("هندسهٔ قطعه باید Polygon یا MultiPolygon باشد، نه {t}."),
            Self::BadPosition { ring, index } => {
                format!("موقعیت {index} در {ring} دو عدد معتبر ندارد.")
            }
            Self::OutOfRange { ring, index, .. } => format!(
                "موقعیت {index} در {ring} بیرون از بازهٔ WGS84 است؛ مختصات باید [طول، عرض] جغرافیایی به درجه باشد."
            ),
            Self::RingTooShort { ring, .. } => {
                format!("{ring} دست‌کم ۴ نقطه لازم دارد (آخری همان اولی).")
            }
            Self::RingNotClosed { ring } => {
                format!("{ring} بسته نیست؛ نقطهٔ آخر باید همان نقطهٔ اول باشد.")
            }
            Self::SelfIntersection(ring) => {
                format!("{ring} خودش را قطع می‌کند؛ مرز قطعه را اصلاح کنید.")
            }
            Self::Invalid(_) => "چندضلعی معتبر نیست (حفره بیرون از مرز یا بخش‌های هم‌پوشان).".into(),
            Self::ZeroArea => "چندضلعی مساحتی ندارد.".into(),
            Self::TooManyVertices => format!("هندسه بیش از {MAX_VERTICES} نقطه دارد."),
        }
    }
}

fn ring_name(polygon: Option<usize>, ring: usize) -> String {
    let r = if ring == 0 {
        "exterior ring".to_owned()
    } else {
        format!("interior ring {}", ring - 1)
    };
    match polygon {
        Some(p) => format!("polygon {p} {r}"),
        None => r,
    }
}

fn check_ring(
    positions: &[geojson::Position],
    polygon: Option<usize>,
    ring: usize,
    count: &mut usize,
) -> Result<LineString<f64>, GeometryError> {
    let name = || ring_name(polygon, ring);
    *count += positions.len();
    if *count > MAX_VERTICES {
        return Err(GeometryError::TooManyVertices);
    }
    let mut coords = Vec::with_capacity(positions.len());
    for (index, p) in positions.iter().enumerate() {
        let s = p.as_slice();
        if s.len() < 2 || !s[0].is_finite() || !s[1].is_finite() {
            return Err(GeometryError::BadPosition {
                ring: name(),
                index,
            });
        }
        let (lon, lat) = (s[0], s[1]);
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(GeometryError::OutOfRange {
                ring: name(),
                index,
                lon,
                lat,
            });
        }
        coords.push(Coord { x: lon, y: lat });
    }
    if coords.len() < 4 {
        return Err(GeometryError::RingTooShort {
            ring: name(),
            found: coords.len(),
        });
    }
    if coords.first() != coords.last() {
        return Err(GeometryError::RingNotClosed { ring: name() });
    }
    Ok(LineString::new(coords))
}

fn polygon_from(
    rings: &[Vec<geojson::Position>],
    index: Option<usize>,
    count: &mut usize,
) -> Result<Polygon<f64>, GeometryError> {
    let Some((shell, holes)) = rings.split_first() else {
        return Err(GeometryError::RingTooShort {
            ring: ring_name(index, 0),
            found: 0,
        });
    };
    let exterior = check_ring(shell, index, 0, count)?;
    let interiors = holes
        .iter()
        .enumerate()
        .map(|(i, r)| check_ring(r, index, i + 1, count))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

fn polygon_validity(p: &Polygon<f64>, index: Option<usize>) -> Result<(), GeometryError> {
    use geo::algorithm::validation::{InvalidPolygon, RingRole};
    let role_name = |role: &RingRole| match role {
        RingRole::Exterior => ring_name(index, 0),
        RingRole::Interior(i) => ring_name(index, i + 1),
    };
    match p.check_validation() {
        Ok(()) => Ok(()),
        Err(InvalidPolygon::SelfIntersection(role)) => {
            Err(GeometryError::SelfIntersection(role_name(&role)))
        }
        Err(InvalidPolygon::TooFewPointsInRing(role)) => Err(GeometryError::RingTooShort {
            ring: role_name(&role),
            found: 3,
        }),
        Err(other) => Err(GeometryError::Invalid(other.to_string())),
    }
}

impl Shape {
    /// Parses and validates a GeoJSON geometry object (the text of `geometry_geojson`).
    pub fn parse(text: &str) -> Result<Self, GeometryError> {
        let geometry: geojson::Geometry =
            serde_json::from_str(text).map_err(|e| GeometryError::NotGeoJson(e.to_string()))?;
        Self::from_geojson(&geometry.value)
    }

    /// Validates an already-parsed GeoJSON geometry (e.g. a feature's in an import file).
    pub fn from_geojson(value: &geojson::GeometryValue) -> Result<Self, GeometryError> {
        let mut count = 0;
        let shape = match value {
            geojson::GeometryValue::Polygon { coordinates } => {
                let p = polygon_from(coordinates, None, &mut count)?;
                polygon_validity(&p, None)?;
                Shape::Polygon(p)
            }
            geojson::GeometryValue::MultiPolygon { coordinates } => {
                let polygons = coordinates
                    .iter()
                    .enumerate()
                    .map(|(i, rings)| polygon_from(rings, Some(i), &mut count))
                    .collect::<Result<Vec<_>, _>>()?;
                if polygons.is_empty() {
                    return Err(GeometryError::ZeroArea);
                }
                for (i, p) in polygons.iter().enumerate() {
                    polygon_validity(p, Some(i))?;
                }
                let multi = MultiPolygon::new(polygons);
                multi
                    .check_validation()
                    .map_err(|e| GeometryError::Invalid(e.to_string()))?;
                if multi.0.len() == 1 {
                    Shape::Polygon(
                        multi
                            .0
                            .into_iter()
                            .next()
                            .expect("one polygon, just checked"),
                    )
                } else {
                    Shape::Multi(multi)
                }
            }
            other => return Err(GeometryError::WrongType(other.type_name().to_owned())),
        };
        if shape.planar_area() <= 0.0 {
            return Err(GeometryError::ZeroArea);
        }
        Ok(shape)
    }

    /// Builds a shape from already-trusted coordinates (the store, the synthetic city),
    /// without validation: parsing stored text must not fail on rules added later.
    pub fn parse_trusted(text: &str) -> Result<Self, GeometryError> {
        let geometry: geojson::Geometry =
            serde_json::from_str(text).map_err(|e| GeometryError::NotGeoJson(e.to_string()))?;
        let to_ring = |r: &Vec<geojson::Position>| {
            LineString::new(
                r.iter()
                    .map(|p| Coord {
                        x: p.as_slice()[0],
                        y: p.as_slice()[1],
                    })
                    .collect(),
            )
        };
        let to_polygon = |rings: &Vec<Vec<geojson::Position>>| {
            let mut it = rings.iter().map(to_ring);
            Polygon::new(
                it.next().unwrap_or_else(|| LineString::new(vec![])),
                it.collect(),
            )
        };
        match &geometry.value {
            geojson::GeometryValue::Polygon { coordinates } => {
                Ok(Shape::Polygon(to_polygon(coordinates)))
            }
            geojson::GeometryValue::MultiPolygon { coordinates } => Ok(Shape::Multi(
                MultiPolygon::new(coordinates.iter().map(to_polygon).collect()),
            )),
            other => Err(GeometryError::WrongType(other.type_name().to_owned())),
        }
    }

    /// The bounding box as an R-tree envelope (`[lon, lat]` corners).
    pub fn envelope(&self) -> AABB<[f64; 2]> {
        let rect = self.bounding_rect();
        AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y])
    }

    /// The bounding rectangle.
    pub fn bounding_rect(&self) -> Rect<f64> {
        let r = match self {
            Shape::Polygon(p) => p.bounding_rect(),
            Shape::Multi(m) => m.bounding_rect(),
        };
        r.unwrap_or_else(|| Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 0.0, y: 0.0 }))
    }

    /// Whether the point lies inside or on the boundary (a click on an edge belongs to both
    /// neighbours; the caller breaks the tie).
    pub fn covers_point(&self, lon: f64, lat: f64) -> bool {
        let p = Point::new(lon, lat);
        match self {
            Shape::Polygon(poly) => poly.intersects(&p),
            Shape::Multi(m) => m.intersects(&p),
        }
    }

    /// Whether the outline meets a rectangle (inside, crossing or touching it).
    pub fn intersects_rect(&self, rect: &Rect<f64>) -> bool {
        match self {
            Shape::Polygon(p) => p.intersects(rect),
            Shape::Multi(m) => m.intersects(rect),
        }
    }

    fn planar_area(&self) -> f64 {
        match self {
            Shape::Polygon(p) => p.unsigned_area(),
            Shape::Multi(m) => m.unsigned_area(),
        }
    }

    /// Area on the WGS84 ellipsoid, in m².
    pub fn area_m2(&self) -> f64 {
        match self {
            Shape::Polygon(p) => p.geodesic_area_unsigned(),
            Shape::Multi(m) => m.geodesic_area_unsigned(),
        }
    }

    /// A point guaranteed inside the outline, for labels and map centring.
    pub fn label_point(&self) -> Point<f64> {
        let p = match self {
            Shape::Polygon(p) => p.interior_point(),
            Shape::Multi(m) => m.interior_point(),
        };
        p.unwrap_or_else(|| self.bounding_rect().center().into())
    }

    /// Whether the interiors of two outlines share more than [`OVERLAP_TOLERANCE_M2`].
    pub fn overlaps(&self, other: &Shape) -> bool {
        let (a, b) = (self.as_multi(), other.as_multi());
        let m = a.relate(&b);
        if !m.is_intersects() || m.is_touches() {
            return false;
        }
        let shared_deg2 = a.intersection(&b).unsigned_area();
        let lat = self.bounding_rect().center().y.to_radians();
        let m2_per_deg2 = M_PER_DEG_LAT * M_PER_DEG_LAT * lat.cos();
        shared_deg2 * m2_per_deg2 > OVERLAP_TOLERANCE_M2
    }

    fn as_multi(&self) -> MultiPolygon<f64> {
        match self {
            Shape::Polygon(p) => MultiPolygon::new(vec![p.clone()]),
            Shape::Multi(m) => m.clone(),
        }
    }

    /// Compact GeoJSON geometry text (RFC 7946), coordinates written with the shortest
    /// representation that reads back to the same number.
    pub fn to_geojson(&self) -> String {
        let mut out = String::with_capacity(64 + 48 * self.vertex_count());
        match self {
            Shape::Polygon(p) => {
                out.push_str("{\"type\":\"Polygon\",\"coordinates\":");
                write_polygon(&mut out, p);
            }
            Shape::Multi(m) => {
                out.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
                for (i, p) in m.0.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_polygon(&mut out, p);
                }
                out.push(']');
            }
        }
        out.push('}');
        out
    }

    fn vertex_count(&self) -> usize {
        let poly = |p: &Polygon<f64>| {
            p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()
        };
        match self {
            Shape::Polygon(p) => poly(p),
            Shape::Multi(m) => m.0.iter().map(poly).sum(),
        }
    }
}

fn write_polygon(out: &mut String, p: &Polygon<f64>) {
    out.push('[');
    for (i, ring) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        for (j, c) in ring.0.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(out, "[{},{}]", c.x, c.y);
        }
        out.push(']');
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn square(x: f64, y: f64, s: f64) -> String {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{x2},{y}],[{x2},{y2}],[{x},{y2}],[{x},{y}]]]}}"#,
            x2 = x + s,
            y2 = y + s
        )
    }

    #[test]
    fn a_square_is_valid_and_round_trips() {
        let shape = Shape::parse(&square(51.55, 32.86, 0.0002)).unwrap();
        assert_eq!(Shape::parse(&shape.to_geojson()).unwrap(), shape);
        let area = shape.area_m2();
        assert!((380.0..450.0).contains(&area), "{area}");
        let l = shape.label_point();
        assert!(shape.covers_point(l.x(), l.y()));
    }

    #[test]
    fn a_bow_tie_is_a_self_intersection() {
        let bow = r#"{"type":"Polygon","coordinates":[[[51.55,32.86],[51.551,32.861],[51.551,32.86],[51.55,32.861],[51.55,32.86]]]}"#;
        assert!(
            matches!(Shape::parse(bow), Err(GeometryError::SelfIntersection(_))),
            "{:?}",
            Shape::parse(bow)
        );
    }

    #[test]
    fn open_short_swapped_and_wrong_type_are_each_named() {
        let open = r#"{"type":"Polygon","coordinates":[[[51.55,32.86],[51.551,32.86],[51.551,32.861],[51.55,32.861]]]}"#;
        assert!(matches!(
            Shape::parse(open),
            Err(GeometryError::RingNotClosed { .. })
        ));
        let short =
            r#"{"type":"Polygon","coordinates":[[[51.55,32.86],[51.551,32.86],[51.55,32.86]]]}"#;
        assert!(matches!(
            Shape::parse(short),
            Err(GeometryError::RingTooShort { found: 3, .. })
        ));
        let projected = square(560_000.0, 3_636_000.0, 10.0);
        assert!(matches!(
            Shape::parse(&projected),
            Err(GeometryError::OutOfRange { index: 0, .. })
        ));
        let point = r#"{"type":"Point","coordinates":[51.55,32.86]}"#;
        assert_eq!(
            Shape::parse(point),
            Err(GeometryError::WrongType("Point".into()))
        );
        assert!(matches!(
            Shape::parse("{"),
            Err(GeometryError::NotGeoJson(_))
        ));
        let flat = r#"{"type":"Polygon","coordinates":[[[51.55,32.86],[51.551,32.86],[51.552,32.86],[51.55,32.86]]]}"#;
        assert!(Shape::parse(flat).is_err());
    }

    #[test]
    fn neighbours_sharing_an_edge_do_not_overlap_but_shifted_ones_do() {
        let a = Shape::parse(&square(51.55, 32.86, 0.0002)).unwrap();
        let right = Shape::parse(&square(51.5502, 32.86, 0.0002)).unwrap();
        let corner = Shape::parse(&square(51.5502, 32.8602, 0.0002)).unwrap();
        let shifted = Shape::parse(&square(51.5501, 32.86, 0.0002)).unwrap();
        assert!(!a.overlaps(&right));
        assert!(!a.overlaps(&corner));
        assert!(a.overlaps(&shifted));
        assert!(shifted.overlaps(&a));
        // Both sides of the shared edge cover a point on it; the index breaks the tie.
        assert!(a.covers_point(51.5502, 32.8601) && right.covers_point(51.5502, 32.8601));
    }

    proptest! {
        /// Convex quadrilaterals from jittered rectangles are valid, contain their label
        /// point, and survive a round trip through text unchanged.
        #[test]
        fn jittered_quads_are_valid(x in 51.0f64..52.0, y in 32.0f64..33.0, w in 0.00005f64..0.001, h in 0.00005f64..0.001, j in -0.3f64..0.3) {
            let dx = w * j * 0.5;
            let text = format!(
                r#"{{"type":"Polygon","coordinates":[[[{x},{y}],[{a},{y}],[{b},{t}],[{c},{t}],[{x},{y}]]]}}"#,
                a = x + w, b = x + w + dx, c = x + dx, t = y + h
            );
            let shape = Shape::parse(&text).unwrap();
            let l = shape.label_point();
            prop_assert!(shape.covers_point(l.x(), l.y()));
            prop_assert_eq!(Shape::parse(&shape.to_geojson()).unwrap(), shape);
        }
    }
}
