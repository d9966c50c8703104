//! The city's label layer: street names along their lines and block numbers (and other
//! named places) at their points, drawn over the parcels so the map can be read with no tile
//! server. A municipality imports its own beside its parcels (`estelam import labels
//! FILE.geojson`); the demo city generates one. None of this needs a store: the checks a
//! label file must pass, and the feature a stored label is served as.
//!
//! ## The file
//!
//! A GeoJSON FeatureCollection in WGS84 (`[lon, lat]`); each feature is
//!
//! | geometry | `properties.kind` | `properties.name` |
//! |---|---|---|
//! | LineString or MultiLineString | `street` (the default for lines) | the street's name as people say it, `خیابان فردوسی` |
//! | Point | `block` | the block's number, `12` (any digits) |
//! | Point | `place` (the default for points) | a landmark's name, `پارک ملت` |
//!
//! `kind` also accepts the Persian words (خیابان, بلوک, مکان). Every name passes the
//! project's free-text cleaning (Arabic letter variants folded, control and bidi-override
//! characters refused) and is at most [`MAX_NAME_CHARS`] characters. All or nothing: every
//! bad feature is reported by its index (0-based, in file order) with the reason.

use geojson::{FeatureCollection, Geometry, GeometryValue as Geo, Position};
use serde_json::{Value, json};

use crate::import_check::FeatureProblem;

/// The longest name a label may have, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The most features a label file may hold.
pub const MAX_LABELS: usize = 200_000;
/// The most points one line may have.
const MAX_POINTS: usize = 10_000;

const NAME: estelam_domain::text::TextField =
    estelam_domain::text::TextField::new("properties.name", "نام", "name");

/// What a label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    /// A street, drawn along its line.
    Street,
    /// A block's number, drawn at its point.
    Block,
    /// A landmark, drawn at its point.
    Place,
}

impl LabelKind {
    /// The stored and served name.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelKind::Street => "street",
            LabelKind::Block => "block",
            LabelKind::Place => "place",
        }
    }

    /// The kind of a stored or written name (English or Persian).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "street" | "خیابان" => Some(LabelKind::Street),
            "block" | "بلوک" => Some(LabelKind::Block),
            "place" | "مکان" => Some(LabelKind::Place),
            _ => None,
        }
    }
}

/// One checked label.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// What it names.
    pub kind: LabelKind,
    /// The cleaned name (a block's number as ASCII digits).
    pub name: String,
    /// Its GeoJSON geometry (Point, LineString or MultiLineString), as JSON text.
    pub geometry_json: String,
    /// Its bounding box: min lon, min lat, max lon, max lat.
    pub bbox: [f64; 4],
}

impl Label {
    /// The label as a GeoJSON Feature (`kind` and `name` in its properties), as served to
    /// the portal's map and GIS clients.
    pub fn feature(id: &str, kind: &str, name: &str, geometry_json: &str) -> Value {
        let geometry: Value = serde_json::from_str(geometry_json).unwrap_or(Value::Null);
        json!({
            "type": "Feature",
            "id": id,
            "geometry": geometry,
            "properties": { "kind": kind, "name": name },
        })
    }
}

fn in_range(p: &Position) -> bool {
    let p = p.as_slice();
    p.len() >= 2
        && p.iter().all(|x| x.is_finite())
        && (-180.0..=180.0).contains(&p[0])
        && (-90.0..=90.0).contains(&p[1])
}

fn line_ok(line: &[Position]) -> Result<(), String> {
    if line.len() < 2 {
        return Err("a street's line needs at least two points".into());
    }
    if line.len() > MAX_POINTS {
        return Err(format!("a line of more than {MAX_POINTS} points"));
    }
    if !line.iter().all(in_range) {
        return Err("a point outside WGS84 ([lon, lat] within ±180, ±90)".into());
    }
    Ok(())
}

/// The bounding box of a checked geometry's points.
fn bbox_of(points: &[&Position]) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in points {
        let p = p.as_slice();
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// Checks one feature's geometry; returns its default kind and bounding box.
fn geometry_of(geometry: Option<&Geometry>) -> Result<(LabelKind, [f64; 4]), String> {
    let Some(geometry) = geometry else {
        return Err("no geometry (a Point, LineString or MultiLineString is needed)".into());
    };
    match &geometry.value {
        Geo::Point { coordinates: p } => {
            if !in_range(p) {
                return Err("a point outside WGS84 ([lon, lat] within ±180, ±90)".into());
            }
            Ok((LabelKind::Place, bbox_of(&[p])))
        }
        Geo::LineString { coordinates: line } => {
            line_ok(line)?;
            Ok((LabelKind::Street, bbox_of(&line.iter().collect::<Vec<_>>())))
        }
        Geo::MultiLineString { coordinates: lines } => {
            if lines.is_empty() {
                return Err("an empty MultiLineString".into());
            }
            for line in lines {
                line_ok(line)?;
            }
            Ok((
                LabelKind::Street,
                bbox_of(&lines.iter().flatten().collect::<Vec<_>>()),
            ))
        }
        other => Err(format!(
            "a {} cannot carry a label (a Point, LineString or MultiLineString is needed)",
            other.type_name()
        )),
    }
}

/// Checks a label file; every label when all are good, else every problem.
pub fn check_labels(text: &str) -> Result<Vec<Label>, Vec<FeatureProblem>> {
    let file = |message: String| {
        vec![FeatureProblem {
            index: None,
            message,
        }]
    };
    let collection: FeatureCollection = serde_json::from_str(text)
        .map_err(|e| file(format!("not a GeoJSON FeatureCollection: {e}")))?;
    if collection.features.is_empty() {
        return Err(file("no features: a label layer needs at least one".into()));
    }
    if collection.features.len() > MAX_LABELS {
        return Err(file(format!("more than {MAX_LABELS} features")));
    }
    let mut labels = Vec::with_capacity(collection.features.len());
    let mut problems = Vec::new();
    for (index, feature) in collection.features.iter().enumerate() {
        let problem = |message: String| FeatureProblem {
            index: Some(index),
            message,
        };
        let (default_kind, bbox) = match geometry_of(feature.geometry.as_ref()) {
            Ok(found) => found,
            Err(why) => {
                problems.push(problem(why));
                continue;
            }
        };
        let props = feature.properties.clone().unwrap_or_default();
        let kind = match props.get("kind") {
            None | Some(Value::Null) => default_kind,
            Some(Value::String(k)) => match LabelKind::parse(k) {
                Some(kind) => kind,
                None => {
                    problems.push(problem(format!("kind {k:?} is not street, block or place")));
                    continue;
                }
            },
            Some(other) => {
                problems.push(problem(format!("kind {other} is not a word")));
                continue;
            }
        };
        let is_line = default_kind == LabelKind::Street;
        if (kind == LabelKind::Street) != is_line {
            problems.push(problem(
                "a street is a line, a block or place a point".to_owned(),
            ));
            continue;
        }
        let raw = match props.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let name = match estelam_domain::clean_text(NAME, &raw) {
            Ok(name) => name,
            Err(e) => {
                problems.push(problem(format!("name: {e}")));
                continue;
            }
        };
        let name = if kind == LabelKind::Block {
            estelam_domain::normalize_digits(&name)
        } else {
            name
        };
        if name.is_empty() {
            problems.push(problem("no name (properties.name)".to_owned()));
            continue;
        }
        if name.chars().count() > MAX_NAME_CHARS {
            problems.push(problem(format!(
                "name longer than {MAX_NAME_CHARS} characters"
            )));
            continue;
        }
        let geometry_json = feature
            .geometry
            .as_ref()
            .and_then(|g| serde_json::to_string(g).ok())
            .unwrap_or_default();
        labels.push(Label {
            kind,
            name,
            geometry_json,
            bbox,
        });
    }
    if problems.is_empty() {
        Ok(labels)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(features: &str) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
    }

    const STREET: &str = r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[51.55,32.86],[51.56,32.86]]},"properties":{"name":"خيابان فردوسی"}}"#;
    const BLOCK: &str = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[51.551,32.861]},"properties":{"kind":"بلوک","name":"۱۲"}}"#;

    #[test]
    fn streets_and_blocks_are_read_and_cleaned() {
        let labels = check_labels(&file(&format!("{STREET},{BLOCK}"))).expect("good");
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].kind, LabelKind::Street);
        assert_eq!(labels[0].name, "خیابان فردوسی", "the Arabic yeh is folded");
        assert_eq!(labels[0].bbox, [51.55, 32.86, 51.56, 32.86]);
        assert_eq!(labels[1].kind, LabelKind::Block);
        assert_eq!(labels[1].name, "12");
    }

    #[test]
    fn every_bad_feature_is_named_by_its_index() {
        let polygon = r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"name":"x"}}"#;
        let nameless = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[51.5,32.8]},"properties":{}}"#;
        let far = r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[251.5,32.8],[51.5,32.8]]},"properties":{"name":"x"}}"#;
        let bidi = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[51.5,32.8]},\"properties\":{\"name\":\"a\u{202e}b\"}}";
        let wrong = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[51.5,32.8]},"properties":{"kind":"street","name":"x"}}"#;
        let problems = check_labels(&file(&format!(
            "{STREET},{polygon},{nameless},{far},{bidi},{wrong}"
        )))
        .expect_err("refused");
        let indexes: Vec<_> = problems.iter().map(|p| p.index).collect();
        assert_eq!(
            indexes,
            vec![Some(1), Some(2), Some(3), Some(4), Some(5)],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("Polygon"), "{problems:?}");
        assert!(problems[1].message.contains("no name"), "{problems:?}");
        assert!(problems[2].message.contains("WGS84"), "{problems:?}");
    }

    #[test]
    fn a_file_that_is_not_a_collection_is_refused_whole() {
        for bad in [
            "",
            "{}",
            r#"{"type":"Point","coordinates":[0,0]}"#,
            &file(""),
        ] {
            let problems = check_labels(bad).expect_err("refused");
            assert_eq!(problems.len(), 1, "{bad}");
            assert_eq!(problems[0].index, None, "{bad}");
        }
    }
}
