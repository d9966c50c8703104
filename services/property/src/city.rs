//! A deterministic synthetic city around Shahin Shahr (32.86 N, 51.55 E), for demos, tests
//! and benchmarks. No I/O: [`City::parcels`] is an iterator, so a million parcels never sit
//! in memory at once.
//!
//! Layout, in a local metric plane (x east, y north, metres from the centre):
//! * a grid of blocks 84 m × 56 m separated by 12 m streets; every 8 blocks a 26 m avenue
//!   marks a district boundary;
//! * blocks are generated ring by ring outward from the centre, so the first N parcels form
//!   a compact town and `--parcels N` is a prefix of any larger city;
//! * each block is split by a horizontal mid-line (jittered per block) into two rows of lots
//!   10–18 m wide; the side boundaries are slightly slanted (±1.5 m at the back), so lots are
//!   quadrilaterals of varied shape. Neighbours share their boundary vertices exactly (each
//!   vertex is computed once), so lots touch but never overlap;
//! * some blocks are one public parcel (park, school), districts far out are industrial
//!   (a few large lots per block) or agricultural (two large fields per block);
//! * lots facing avenues are commercial or mixed use.
//!
//! Renovation codes are zone-district-block-parcel-0-0: zone 1–4 by quadrant, district by
//! 8×8-block tile, block 1–64 within the tile, parcel from 1 within the block.
//!
//! Owners come from a pool of synthetic citizens with valid national codes (check digit
//! computed); ~74% of lots are full ownership, ~16% shared with exact fractional shares,
//! the rest endowment, leasehold or state. Two demo citizens ([`DEMO_CITIZENS`]) own the
//! first two parcels, for the inquiry's demo.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use estelam_domain::RenovationCode;

use estelam_parcel_geo::dang::Dang;
use estelam_parcel_geo::identifiers::{complete_national_code, legal_id_check_digit};
use estelam_parcel_geo::ownership::{Owner, OwnerKind, Ownership, OwnershipType};
use estelam_parcel_geo::parcel::{LandUse, ParcelRecord, RegistryPlate};

mod labels;

/// Centre of the city (Shahin Shahr), degrees.
pub const CENTER: (f64, f64) = (51.55, 32.86);
/// Metres per degree of latitude near 32.86 N.
pub const M_PER_DEG_LAT: f64 = 110_922.0;
/// Metres per degree of longitude near 32.86 N (111 320 · cos 32.86°).
pub const M_PER_DEG_LON: f64 = 93_497.0;

const BLOCK_W: f64 = 84.0;
const BLOCK_H: f64 = 56.0;
const STREET: f64 = 12.0;
const AVENUE_EXTRA: f64 = 14.0;
const DISTRICT_BLOCKS: i64 = 8;
const SEED: u64 = 0x5348_4148_494e_5348; // "SHAHINSH"

/// A demo citizen the seed guarantees (national code, name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoCitizen {
    /// Valid national code.
    pub national_code: &'static str,
    /// Name as recorded.
    pub full_name: &'static str,
}

/// The two demo citizens: the first owns parcel [`DEMO_PARCELS`]`[0]` outright; the second
/// owns 3 dang of [`DEMO_PARCELS`]`[1]` (shared with [`DEMO_CO_OWNER`]).
pub const DEMO_CITIZENS: [DemoCitizen; 2] = [
    DemoCitizen {
        national_code: "0076229645",
        full_name: "علی رضایی",
    },
    DemoCitizen {
        national_code: "1583250689",
        full_name: "مریم احمدی",
    },
];

/// The co-owner of the second demo parcel.
pub const DEMO_CO_OWNER: DemoCitizen = DemoCitizen {
    national_code: "0013542419",
    full_name: "حسن محمدی",
};

/// The demo parcels' renovation codes (the first two lots of the central block).
pub const DEMO_PARCELS: [&str; 2] = ["1-1-1-1-0-0", "1-1-1-2-0-0"];

const FIRST_NAMES: &[&str] = &[
    "علی",
    "محمد",
    "حسین",
    "رضا",
    "مهدی",
    "امیر",
    "حسن",
    "مرتضی",
    "سعید",
    "مجید",
    "فاطمه",
    "زهرا",
    "مریم",
    "زینب",
    "سارا",
    "نرگس",
    "لیلا",
    "معصومه",
    "الهام",
    "پریسا",
    "محمدرضا",
    "علیرضا",
    "جواد",
    "احمد",
    "کاظم",
    "منصور",
    "ناصر",
    "شیرین",
    "مهسا",
    "سمیه",
];
const LAST_NAMES: &[&str] = &[
    "رضایی",
    "احمدی",
    "محمدی",
    "حسینی",
    "کریمی",
    "موسوی",
    "جعفری",
    "کاظمی",
    "رحیمی",
    "هاشمی",
    "صادقی",
    "نوری",
    "اصفهانی",
    "طاهری",
    "قاسمی",
    "ابراهیمی",
    "شریفی",
    "نجفی",
    "زارعی",
    "سلطانی",
    "باقری",
    "امینی",
    "یزدانی",
    "فرهادی",
    "مرادی",
    "شاهینی",
    "بهرامی",
    "اکبری",
    "عباسی",
    "کیانی",
];
const STREET_NAMES: &[&str] = &[
    "فردوسی",
    "حافظ",
    "سعدی",
    "عطار",
    "مولوی",
    "خیام",
    "نظامی",
    "بهار",
    "پروین",
    "سهروردی",
    "جامی",
    "رودکی",
    "صائب",
    "کمال",
    "شهریار",
    "نیما",
    "بوعلی",
    "رازی",
    "فارابی",
    "خوارزمی",
    "بیرونی",
    "ملاصدرا",
    "شیخ بهایی",
    "گلستان",
    "بوستان",
    "لاله",
    "نرگس",
    "یاس",
    "اقاقیا",
    "سرو",
];
const DISTRICT_NAMES: &[&str] = &[
    "کوی امام",
    "گلدشت",
    "بهارستان",
    "گلستان",
    "کوی ولیعصر",
    "شهرک صنعتی",
    "کوی فرهنگیان",
    "ارغوان",
    "نیلوفر",
    "کوی بهار",
    "کوی زیتون",
    "مهرگان",
];

/// Legal entities that own public, endowed and state parcels: (name, 10-digit prefix).
const ENTITIES: &[(&str, &str)] = &[
    ("شهرداری شاهین‌شهر", "1410034567"),
    ("ادارهٔ کل اوقاف و امور خیریهٔ استان اصفهان", "1410012345"),
    ("ادارهٔ آموزش و پرورش شاهین‌شهر", "1410076543"),
    ("شرکت صنایع شاهین", "1032145678"),
];

/// The legal id (with check digit) and name of entity `i` in [`ENTITIES`].
pub fn entity(i: usize) -> (String, &'static str) {
    let (name, prefix) = ENTITIES[i % ENTITIES.len()];
    let digits: Vec<u32> = prefix.chars().filter_map(|c| c.to_digit(10)).collect();
    (format!("{prefix}{}", legal_id_check_digit(&digits)), name)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Synthetic citizen `p`: a valid national code and a name. Distinct `p` give distinct codes
/// (the nine-digit head is a bijection of `p`), and never a demo citizen's.
pub fn citizen(p: u64) -> (String, String) {
    // An odd multiplier modulo 10⁹ is a bijection on 0..10⁹: distinct p, distinct codes.
    let head = (p.wrapping_mul(387_420_489) + 123_456_789) % 1_000_000_000;
    let mut code = complete_national_code(head as u32);
    if DEMO_CITIZENS.iter().any(|d| d.national_code == code)
        || DEMO_CO_OWNER.national_code == code
        || code.bytes().all(|b| b == code.as_bytes()[0])
    {
        code = complete_national_code(((head + 500_000_000) % 1_000_000_000) as u32);
    }
    let h = splitmix(p ^ SEED);
    let name = format!(
        "{} {}",
        FIRST_NAMES[(h % FIRST_NAMES.len() as u64) as usize],
        LAST_NAMES[((h >> 20) % LAST_NAMES.len() as u64) as usize]
    );
    (code, name)
}

/// What kind of block a grid cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Residential,
    Public,
    Industrial,
    Agricultural,
}

/// The blocks of ring `r` (Chebyshev distance from the centre block), in a fixed order.
fn ring(r: i64) -> Vec<(i64, i64)> {
    if r == 0 {
        return vec![(0, 0)];
    }
    let mut out = Vec::with_capacity(8 * r as usize);
    for by in -r..=r {
        if by == -r || by == r {
            out.extend((-r..=r).map(|bx| (bx, by)));
        } else {
            out.push((-r, by));
            out.push((r, by));
        }
    }
    out
}

/// West (or south) edge of block `b` in metres: blocks, streets, and the extra width of
/// avenues at district boundaries.
fn block_start(b: i64) -> f64 {
    b as f64 * (BLOCK_W + STREET) + b.div_euclid(DISTRICT_BLOCKS) as f64 * AVENUE_EXTRA
}

fn block_start_y(b: i64) -> f64 {
    b as f64 * (BLOCK_H + STREET) + b.div_euclid(DISTRICT_BLOCKS) as f64 * AVENUE_EXTRA
}

fn lon(x: f64) -> f64 {
    CENTER.0 + x / M_PER_DEG_LON
}

fn lat(y: f64) -> f64 {
    CENTER.1 + y / M_PER_DEG_LAT
}

fn mirror(b: i64) -> i64 {
    if b >= 0 { b } else { -b - 1 }
}

/// The renovation-code prefix (zone, district, block) of grid cell (bx, by).
fn block_code(bx: i64, by: i64) -> (u32, u32, u32) {
    let zone = 1 + u32::from(bx < 0) + 2 * u32::from(by < 0);
    let (ax, ay) = (mirror(bx), mirror(by));
    let (tx, ty) = (ax / DISTRICT_BLOCKS, ay / DISTRICT_BLOCKS);
    let district = 1 + tx * 64 + ty;
    let block = 1 + (ax % DISTRICT_BLOCKS) * DISTRICT_BLOCKS + ay % DISTRICT_BLOCKS;
    (zone, district as u32, block as u32)
}

/// One generated parcel with its outline in metres (for tests and area).
#[derive(Debug, Clone)]
pub struct GeneratedParcel {
    /// The record, ready to store.
    pub record: ParcelRecord,
    /// The outline in WGS84, exterior ring, closed.
    pub ring: Vec<[f64; 2]>,
}

impl GeneratedParcel {
    /// The outline as a [`Shape`], built from the coordinates (no text round trip).
    pub fn shape(&self) -> estelam_parcel_geo::geometry::Shape {
        let ring: Vec<geo::Coord<f64>> = self
            .ring
            .iter()
            .map(|p| geo::Coord { x: p[0], y: p[1] })
            .collect();
        estelam_parcel_geo::geometry::Shape::Polygon(geo::Polygon::new(
            geo::LineString::new(ring),
            vec![],
        ))
    }
}

/// The synthetic city; parameters are fixed so every run generates the same parcels.
#[derive(Debug, Clone, Copy, Default)]
pub struct City;

impl City {
    /// The first `n` parcels of the city, ring by ring from the centre.
    pub fn parcels(&self, n: u64) -> impl Iterator<Item = GeneratedParcel> {
        (0i64..)
            .flat_map(ring)
            .flat_map(block_parcels)
            .take(n as usize)
    }

    /// The WGS84 bounding box of the first `n` parcels (min lon, min lat, max lon, max lat),
    /// computed from the layout without generating them.
    pub fn extent(&self, n: u64) -> [f64; 4] {
        // Each ring r adds 8r blocks of ~11 lots.
        let mut blocks = 0u64;
        let mut r = 0i64;
        while blocks * 10 < n {
            blocks += if r == 0 { 1 } else { 8 * r as u64 };
            r += 1;
        }
        let r = r.max(1);
        [
            lon(block_start(-r)),
            lat(block_start_y(-r)),
            lon(block_start(r + 1)),
            lat(block_start_y(r + 1)),
        ]
    }
}

fn block_kind(bx: i64, by: i64, rng: &mut ChaCha8Rng) -> BlockKind {
    let r = bx.abs().max(by.abs());
    let (tx, ty) = (
        bx.div_euclid(DISTRICT_BLOCKS),
        by.div_euclid(DISTRICT_BLOCKS),
    );
    let tile_hash =
        splitmix((tx as u64).wrapping_mul(31) ^ (ty as u64).wrapping_mul(1_000_003) ^ SEED);
    if r > 130 {
        BlockKind::Agricultural
    } else if r > 30 && tile_hash.is_multiple_of(9) {
        BlockKind::Industrial
    } else if r > 0 && rng.random_range(0..100) < 4 {
        BlockKind::Public
    } else {
        BlockKind::Residential
    }
}

/// Splits `total` metres into lots of `min..max` metres; returns the cut positions from 0 to
/// `total` inclusive.
fn cuts(total: f64, min: f64, max: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut widths = Vec::new();
    let mut sum = 0.0;
    while sum < total - min {
        let w = rng.random_range(min..max);
        widths.push(w);
        sum += w;
    }
    if widths.is_empty() {
        widths.push(total);
        sum = total;
    }
    let mut out = vec![0.0];
    let mut acc = 0.0;
    for w in &widths {
        acc += w;
        out.push(total * acc / sum);
    }
    if let Some(last) = out.last_mut() {
        *last = total;
    }
    out
}

struct LotShape {
    /// Exterior ring in WGS84, counter-clockwise, closed.
    ring: Vec<[f64; 2]>,
    /// Area in m².
    area_m2: f64,
    /// Position along the row, for the address.
    index: usize,
    /// Faces an avenue.
    on_avenue: bool,
}

/// Lots of one row between `y_front` (street side) and `y_back` (mid-line).
fn row_lots(
    x0: f64,
    y_front: f64,
    y_back: f64,
    min: f64,
    max: f64,
    on_avenue: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<LotShape> {
    let xs = cuts(BLOCK_W, min, max, rng);
    let k = xs.len() - 1;
    // Slant of each inner boundary at the back; block edges stay straight.
    let slants: Vec<f64> = (0..=k)
        .map(|i| {
            if i == 0 || i == k {
                0.0
            } else {
                rng.random_range(-1.5..1.5)
            }
        })
        .collect();
    let front: Vec<[f64; 2]> = xs.iter().map(|x| [lon(x0 + x), lat(y_front)]).collect();
    let back: Vec<[f64; 2]> = xs
        .iter()
        .zip(&slants)
        .map(|(x, s)| [lon(x0 + x + s), lat(y_back)])
        .collect();
    let depth = (y_back - y_front).abs();
    (0..k)
        .map(|i| {
            // Counter-clockwise when the front is south of the back; reversed otherwise.
            let mut ring = vec![front[i], front[i + 1], back[i + 1], back[i], front[i]];
            if y_back < y_front {
                ring.reverse();
            }
            let w_front = xs[i + 1] - xs[i];
            let w_back = (xs[i + 1] + slants[i + 1]) - (xs[i] + slants[i]);
            LotShape {
                ring,
                area_m2: (w_front + w_back) / 2.0 * depth,
                index: i,
                on_avenue,
            }
        })
        .collect()
}

fn ring_geojson(ring: &[[f64; 2]]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(40 + ring.len() * 40);
    s.push_str("{\"type\":\"Polygon\",\"coordinates\":[[");
    for (i, p) in ring.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "[{},{}]", p[0], p[1]);
    }
    s.push_str("]]}");
    s
}

fn block_parcels((bx, by): (i64, i64)) -> Vec<GeneratedParcel> {
    // Owners are drawn from the citizens "living" within this ring (about 0.7 per lot), so
    // some people own several parcels, and a city of N parcels is a prefix of a larger one.
    let r = bx.abs().max(by.abs()) as u64;
    let pool = 8 * (2 * r + 1) * (2 * r + 1) + 100;
    let cell =
        (bx as u64).wrapping_mul(0x1000_0000_01b3) ^ (by as u64).wrapping_mul(0x9e37_79b9) ^ SEED;
    let mut rng = ChaCha8Rng::seed_from_u64(splitmix(cell));
    let kind = block_kind(bx, by, &mut rng);
    let (x0, y0) = (block_start(bx), block_start_y(by));
    let y1 = y0 + BLOCK_H;
    let (zone, district, block) = block_code(bx, by);
    let south_avenue = by.rem_euclid(DISTRICT_BLOCKS) == 0;
    let north_avenue = by.rem_euclid(DISTRICT_BLOCKS) == DISTRICT_BLOCKS - 1;
    let lots: Vec<LotShape> = match kind {
        BlockKind::Public => {
            let ring = vec![
                [lon(x0), lat(y0)],
                [lon(x0 + BLOCK_W), lat(y0)],
                [lon(x0 + BLOCK_W), lat(y1)],
                [lon(x0), lat(y1)],
                [lon(x0), lat(y0)],
            ];
            vec![LotShape {
                ring,
                area_m2: BLOCK_W * BLOCK_H,
                index: 0,
                on_avenue: false,
            }]
        }
        BlockKind::Industrial => row_lots(x0, y0, y1, 25.0, 45.0, false, &mut rng),
        BlockKind::Agricultural => row_lots(x0, y0, y1, 40.0, 45.0, false, &mut rng),
        BlockKind::Residential => {
            let mid = y0 + BLOCK_H / 2.0 + rng.random_range(-3.0..3.0);
            let mut lots = row_lots(x0, y0, mid, 10.0, 18.0, south_avenue, &mut rng);
            lots.extend(row_lots(x0, y1, mid, 10.0, 18.0, north_avenue, &mut rng));
            lots
        }
    };
    let street = STREET_NAMES[(by.rem_euclid(STREET_NAMES.len() as i64)) as usize];
    let district_name = DISTRICT_NAMES[(district as usize) % DISTRICT_NAMES.len()];
    let r = r as f64;
    // Regional land value falls from ~120 M rials/m² at the centre to ~20 M at 10 km.
    let base_value = (120_000_000.0 * (-r / 60.0).exp()).max(20_000_000.0);
    lots.into_iter()
        .enumerate()
        .map(|(i, lot)| {
            let parcel_no = i as u32 + 1;
            let code = RenovationCode::new(zone, district, block, parcel_no, 0, 0)
                .expect("the layout keeps every part under 99 999");
            let h = splitmix(cell ^ (u64::from(parcel_no) << 48));
            let land_use = match kind {
                BlockKind::Public => LandUse::Public,
                BlockKind::Industrial => LandUse::Industrial,
                BlockKind::Agricultural => LandUse::Agricultural,
                BlockKind::Residential if lot.on_avenue => match h % 10 {
                    0..=5 => LandUse::Commercial,
                    6..=8 => LandUse::Mixed,
                    _ => LandUse::Office,
                },
                BlockKind::Residential => {
                    if h.is_multiple_of(50) {
                        LandUse::Office
                    } else {
                        LandUse::Residential
                    }
                }
            };
            let floors: i32 = match land_use {
                LandUse::Agricultural => 0,
                LandUse::Public | LandUse::Industrial => 1 + (h >> 8) as i32 % 2,
                LandUse::Residential if (h >> 8).is_multiple_of(12) => 0,
                LandUse::Residential => 1 + ((h >> 8) % 4) as i32,
                LandUse::Commercial => 1 + ((h >> 8) % 3) as i32,
                LandUse::Mixed | LandUse::Office => 2 + ((h >> 8) % 4) as i32,
            };
            let land_area_dm2 = (lot.area_m2 * 100.0).round() as i64;
            let built_area_dm2 = land_area_dm2 * 6 / 10 * i64::from(floors);
            let value_factor = match land_use {
                LandUse::Commercial => 1.8,
                LandUse::Mixed | LandUse::Office => 1.4,
                LandUse::Industrial => 0.5,
                LandUse::Agricultural => 0.1,
                _ => 1.0,
            };
            let land_value = ((base_value * value_factor) / 100_000.0).round() as i64 * 100_000;
            let building_value = 15_000_000 + ((h >> 16) % 26) as i64 * 1_000_000;
            let ownership = ownership_of(&code, kind, h, pool);
            let plate = RegistryPlate {
                main: (100 + (u64::from(district) * 64 + u64::from(block)) % 8900).to_string(),
                sub: parcel_no.to_string(),
                section: (13 + zone).to_string(),
            };
            let address = match kind {
                BlockKind::Public => {
                    format!("شاهین‌شهر، {district_name}، بوستان و مجموعهٔ عمومی خیابان {street}")
                }
                _ => format!(
                    "شاهین‌شهر، {district_name}، خیابان {street}، کوچهٔ {}، پلاک {}",
                    mirror(bx) + 1,
                    lot.index + 1
                ),
            };
            let postal_code = format!(
                "8{}",
                314_000_000 + (h >> 24) % 1_000_000 * 100 + u64::from(parcel_no) % 100
            );
            let min_lon = lot.ring.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min);
            let min_lat = lot.ring.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min);
            let max_lon = lot
                .ring
                .iter()
                .map(|p| p[0])
                .fold(f64::NEG_INFINITY, f64::max);
            let max_lat = lot
                .ring
                .iter()
                .map(|p| p[1])
                .fold(f64::NEG_INFINITY, f64::max);
            // The centroid of a convex quadrilateral lies inside it.
            let label = [
                lot.ring[..lot.ring.len() - 1]
                    .iter()
                    .map(|p| p[0])
                    .sum::<f64>()
                    / (lot.ring.len() - 1) as f64,
                lot.ring[..lot.ring.len() - 1]
                    .iter()
                    .map(|p| p[1])
                    .sum::<f64>()
                    / (lot.ring.len() - 1) as f64,
            ];
            GeneratedParcel {
                record: ParcelRecord {
                    code,
                    plate,
                    address,
                    postal_code,
                    land_use,
                    land_area_dm2,
                    built_area_dm2,
                    floors,
                    land_value_rials_per_m2: land_value,
                    building_value_rials_per_m2: building_value,
                    geometry_geojson: ring_geojson(&lot.ring),
                    bbox: [min_lon, min_lat, max_lon, max_lat],
                    label,
                    ownership,
                },
                ring: lot.ring,
            }
        })
        .collect()
}

/// Exact share patterns of shared ownership, in dang (numerator, denominator).
const SHARE_PATTERNS: &[&[(i64, i64)]] = &[
    &[(3, 1), (3, 1)],
    &[(2, 1), (2, 1), (2, 1)],
    &[(4, 1), (2, 1)],
    &[(3, 2), (9, 2)],
    &[(1, 1), (5, 2), (5, 2)],
    &[(3, 1), (3, 2), (3, 2)],
    &[(2, 1), (2, 1), (1, 1), (1, 1)],
    &[(7, 3), (11, 3)],
];

fn person(p: u64, share: Dang) -> Owner {
    let (national_code, full_name) = citizen(p);
    Owner {
        kind: OwnerKind::NaturalPerson,
        national_code,
        full_name,
        share,
        deed_number: String::new(),
    }
}

fn ownership_of(code: &RenovationCode, kind: BlockKind, h: u64, pool: u64) -> Ownership {
    let deed_number = format!("{}", 100_000 + (h >> 5) % 900_000);
    let code_text = code.to_string();
    if code_text == DEMO_PARCELS[0] {
        let d = DEMO_CITIZENS[0];
        return Ownership {
            kind: Some(OwnershipType::Full),
            deed_number,
            owners: vec![Owner {
                kind: OwnerKind::NaturalPerson,
                national_code: d.national_code.into(),
                full_name: d.full_name.into(),
                share: Dang::WHOLE,
                deed_number: String::new(),
            }],
        };
    }
    if code_text == DEMO_PARCELS[1] {
        let owners = [DEMO_CITIZENS[1], DEMO_CO_OWNER]
            .iter()
            .map(|d| Owner {
                kind: OwnerKind::NaturalPerson,
                national_code: d.national_code.into(),
                full_name: d.full_name.into(),
                share: Dang::whole(3),
                deed_number: String::new(),
            })
            .collect();
        return Ownership {
            kind: Some(OwnershipType::Shared),
            deed_number,
            owners,
        };
    }
    let entity_owner = |i: usize, kind: OwnershipType| {
        let (id, name) = entity(i);
        Ownership {
            kind: Some(kind),
            deed_number: deed_number.clone(),
            owners: vec![Owner {
                kind: OwnerKind::LegalEntity,
                national_code: id,
                full_name: name.into(),
                share: Dang::WHOLE,
                deed_number: String::new(),
            }],
        }
    };
    match kind {
        BlockKind::Public => {
            return entity_owner(
                if h.is_multiple_of(3) { 2 } else { 0 },
                OwnershipType::State,
            );
        }
        BlockKind::Industrial if h.is_multiple_of(4) => {
            return entity_owner(3, OwnershipType::Full);
        }
        _ => {}
    }
    let p = (h >> 11) % pool;
    match h % 100 {
        0..=73 => Ownership {
            kind: Some(OwnershipType::Full),
            deed_number,
            owners: vec![person(p, Dang::WHOLE)],
        },
        74..=89 => {
            let pattern = SHARE_PATTERNS[((h >> 40) % SHARE_PATTERNS.len() as u64) as usize];
            let owners = pattern
                .iter()
                .enumerate()
                .map(|(i, (n, d))| {
                    person(
                        (p + i as u64 * 7919) % pool,
                        Dang::new(*n, *d).expect("patterns are positive"),
                    )
                })
                .collect();
            Ownership {
                kind: Some(OwnershipType::Shared),
                deed_number,
                owners,
            }
        }
        90..=93 => Ownership {
            kind: Some(OwnershipType::Endowment),
            deed_number,
            owners: vec![person(p, Dang::WHOLE)],
        },
        94..=96 => Ownership {
            kind: Some(OwnershipType::Leasehold),
            deed_number,
            owners: vec![person(p, Dang::WHOLE)],
        },
        _ => entity_owner(1, OwnershipType::Endowment),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use estelam_domain::NationalCode;
    use estelam_parcel_geo::geometry::Shape;
    use estelam_parcel_geo::identifiers::legal_id_is_valid;
    use estelam_parcel_geo::index::{IndexedParcel, ParcelIndex};
    use std::collections::HashSet;

    #[test]
    fn the_city_is_deterministic_and_a_prefix_of_a_larger_one() {
        let a: Vec<_> = City.parcels(500).map(|p| p.record).collect();
        let b: Vec<_> = City.parcels(800).map(|p| p.record).collect();
        assert_eq!(a.len(), 500);
        assert_eq!(a[..], b[..500]);
    }

    #[test]
    fn codes_are_unique_owners_valid_and_shares_exact() {
        let mut codes = HashSet::new();
        for p in City.parcels(5000) {
            let r = &p.record;
            assert!(codes.insert(r.code), "duplicate {}", r.code);
            let kind = r.ownership.kind.expect("every generated parcel has owners");
            assert_eq!(
                Dang::sum(r.ownership.owners.iter().map(|o| o.share)),
                Some(Dang::WHOLE),
                "{}",
                r.code
            );
            if kind == OwnershipType::Full {
                assert_eq!(r.ownership.owners.len(), 1);
            }
            for o in &r.ownership.owners {
                match o.kind {
                    OwnerKind::NaturalPerson => assert!(
                        NationalCode::parse(&o.national_code).is_ok(),
                        "{}",
                        o.national_code
                    ),
                    OwnerKind::LegalEntity => {
                        assert!(legal_id_is_valid(&o.national_code), "{}", o.national_code)
                    }
                }
            }
            assert!(
                (50..=5000).contains(&(r.land_area_dm2 / 100)),
                "{} m²",
                r.land_area_dm2 / 100
            );
        }
        assert!(codes.contains(&RenovationCode::parse(DEMO_PARCELS[0]).unwrap()));
    }

    #[test]
    fn parcels_are_valid_and_never_overlap() {
        let parcels: Vec<_> = City.parcels(3000).collect();
        let shapes: Vec<_> = parcels
            .iter()
            .map(|p| Shape::parse(&p.record.geometry_geojson).expect("valid outline"))
            .collect();
        let index = ParcelIndex::build(
            parcels
                .iter()
                .zip(&shapes)
                .map(|(p, s)| IndexedParcel::new(p.record.code, s.clone()))
                .collect(),
        );
        for (p, s) in parcels.iter().zip(&shapes) {
            assert!(
                index.overlapping(s, Some(&p.record.code)).is_empty(),
                "{} overlaps a neighbour",
                p.record.code
            );
            // The label point picks the parcel itself.
            assert_eq!(
                index.pick(p.record.label[0], p.record.label[1]),
                Some(p.record.code)
            );
            let computed = s.area_m2();
            let recorded = p.record.land_area_dm2 as f64 / 100.0;
            assert!(
                (computed - recorded).abs() / recorded < 0.02,
                "{}: {computed} vs {recorded}",
                p.record.code
            );
        }
    }

    #[test]
    fn demo_citizens_own_the_demo_parcels() {
        let first: Vec<_> = City.parcels(2).collect();
        assert_eq!(first[0].record.code.to_string(), DEMO_PARCELS[0]);
        assert_eq!(
            first[0].record.ownership.owners[0].national_code,
            DEMO_CITIZENS[0].national_code
        );
        assert_eq!(first[1].record.code.to_string(), DEMO_PARCELS[1]);
        assert_eq!(first[1].record.ownership.kind, Some(OwnershipType::Shared));
        for d in DEMO_CITIZENS.iter().chain([&DEMO_CO_OWNER]) {
            assert!(NationalCode::parse(d.national_code).is_ok());
        }
    }

    #[test]
    fn synthetic_citizens_have_distinct_valid_codes() {
        let codes: HashSet<String> = (0..20_000).map(|p| citizen(p).0).collect();
        assert_eq!(codes.len(), 20_000);
        assert!(codes.iter().all(|c| NationalCode::parse(c).is_ok()));
    }
}
