//! Finding a parcel the way a person names their home — the portal map's search box and its
//! "your properties" list. A query is read as a renovation code, a registry plate, or a
//! street and plate number as the address says them; the reading is a pure function
//! ([`read_query`]), tested below, and the look-up uses the store's existing queries plus one
//! scan of the current addresses.

use estelam_domain::{RenovationCode, fold_name, normalize_digits};
use estelam_parcel_geo::parcel::RegistryPlate;
use estelam_runtime::error::ServiceError;

use super::Property;
use crate::errors;
use crate::store::{self, StoredParcel};

/// Most parcels one search or one "your properties" list returns.
pub const MAX_RESULTS: usize = 20;

/// Words that name the kind of place rather than the place: "street", "no.".
const NOISE: &[&str] = &[
    "خیابان",
    "خ",
    "پلاک",
    "بلوار",
    "میدان",
    "street",
    "st",
    "no",
    "number",
    "plate",
];

/// Words after which a number is an alley's (کوچهٔ ۳), folded.
const ALLEY: &[&str] = &["کوچه", "کوچهٔ", "کوچۀ", "alley"];

/// How a query was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A renovation code.
    Code(RenovationCode),
    /// A registry plate (`main/sub`).
    Plate(RegistryPlate),
    /// Words of a street name (folded) and, when given, the alley and plate numbers.
    Address {
        /// Folded words that must all appear in the address.
        words: Vec<String>,
        /// The alley's number (کوچهٔ ۳), digits.
        alley: Option<String>,
        /// The house's plate number (پلاک), digits.
        number: Option<String>,
    },
}

/// Reads what a person typed. `None` when it names nothing to look for.
pub fn read_query(raw: &str) -> Option<Query> {
    let text = normalize_digits(raw.trim());
    if text.is_empty() {
        return None;
    }
    if let Ok(code) = RenovationCode::parse(&text) {
        return Some(Query::Code(code));
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let plate_like = compact.contains('/')
        && compact.chars().all(|c| c.is_ascii_digit() || c == '/')
        && compact.split('/').count() <= 3;
    if plate_like {
        let mut parts = compact.split('/');
        let main = parts.next().unwrap_or_default();
        let sub = parts.next().unwrap_or_default();
        let section = parts.next().unwrap_or_default();
        return RegistryPlate::from_parts(main, sub, section).map(Query::Plate);
    }
    let folded = fold_name(&text.replace(['،', ',', '-', '.', '#'], " "));
    let mut words = Vec::new();
    let mut number = None;
    let mut alley = None;
    let mut after_alley = false;
    for word in folded.split(' ').filter(|w| !w.is_empty()) {
        if word.chars().all(|c| c.is_ascii_digit()) {
            let n = Some(word.trim_start_matches('0').to_owned()).filter(|n| !n.is_empty());
            if after_alley {
                alley = n;
            } else {
                number = n;
            }
            after_alley = false;
        } else if ALLEY.contains(&word) {
            after_alley = true;
        } else if !NOISE.contains(&word) {
            words.push(word.to_owned());
            after_alley = false;
        }
    }
    if words.is_empty() {
        return None;
    }
    Some(Query::Address {
        words,
        alley,
        number,
    })
}

/// The number right after the last `marker` in `folded` (`… پلاک 12` → `12`), zeros trimmed.
fn number_after(folded: &str, marker: &str) -> Option<String> {
    let (_, tail) = folded.rsplit_once(marker)?;
    let digits: String = tail
        .trim_start_matches(|c: char| !c.is_ascii_digit() && c != '،' && c != ',')
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let trimmed = digits.trim_start_matches('0');
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Whether an address names the street `words` and, when given, the alley and plate
/// numbers: the plate is the number after "پلاک", the alley's the one after "کوچه".
pub fn address_matches(
    address: &str,
    words: &[String],
    alley: Option<&str>,
    number: Option<&str>,
) -> bool {
    let folded = fold_name(address);
    if !words.iter().all(|w| folded.contains(w.as_str())) {
        return false;
    }
    let number_ok = number.is_none_or(|n| number_after(&folded, "پلاک").as_deref() == Some(n));
    let alley_ok = alley.is_none_or(|a| number_after(&folded, "کوچه").as_deref() == Some(a));
    number_ok && alley_ok
}

impl Property {
    /// Parcels matching what a person typed, best first, at most `limit` (capped).
    pub async fn search(
        &self,
        raw: &str,
        limit: i32,
    ) -> Result<(Query, Vec<StoredParcel>), ServiceError> {
        let query = read_query(raw).ok_or_else(errors::search_query_invalid)?;
        let limit = usize::try_from(limit)
            .ok()
            .filter(|&l| l > 0)
            .unwrap_or(MAX_RESULTS)
            .min(MAX_RESULTS);
        let found = match &query {
            Query::Code(code) => store::current(self.registry.db(), code)
                .await?
                .into_iter()
                .collect(),
            Query::Plate(plate) => self.parcels_by_plate(plate, limit as i32, "").await?.0,
            Query::Address {
                words,
                alley,
                number,
            } => {
                let matches = |address: &str| {
                    address_matches(address, words, alley.as_deref(), number.as_deref())
                };
                let codes = store::codes_by_address(self.registry.db(), matches, limit).await?;
                let parsed = codes
                    .iter()
                    .filter_map(|c| RenovationCode::parse(c).ok())
                    .collect::<Vec<_>>();
                store::current_many_with_owners(self.registry.db(), &parsed).await?
            }
        };
        Ok((query, found.into_iter().take(limit).collect()))
    }

    /// The parcels the owner with `owner_code` holds a share of ("your properties").
    pub async fn own_parcels(&self, owner_code: &str) -> Result<Vec<StoredParcel>, ServiceError> {
        Ok(self
            .parcels_by_owner(owner_code, MAX_RESULTS as i32, "")
            .await?
            .0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renovation_code_a_plate_and_an_address_are_told_apart() {
        assert!(matches!(read_query("۱-۲-۳-۴-۰-۰"), Some(Query::Code(_))));
        let Some(Query::Plate(plate)) = read_query("۱۲۳/۴۵") else {
            panic!("a plate");
        };
        assert_eq!((plate.main.as_str(), plate.sub.as_str()), ("123", "45"));
        assert_eq!(
            read_query("خیابان فردوسي، پلاک ۱۲"),
            Some(Query::Address {
                words: vec!["فردوسی".into()],
                alley: None,
                number: Some("12".into())
            })
        );
        assert_eq!(
            read_query("فردوسی کوچهٔ ۳ پلاک ۱۲"),
            Some(Query::Address {
                words: vec!["فردوسی".into()],
                alley: Some("3".into()),
                number: Some("12".into())
            })
        );
        assert_eq!(read_query("  "), None);
        assert_eq!(read_query("پلاک ۱۲"), None, "a number alone names no street");
    }

    #[test]
    fn the_plate_number_is_the_houses_not_the_alleys() {
        let address = "شاهین‌شهر، ناحیهٔ ۱، خیابان فردوسی، کوچهٔ 3، پلاک 12";
        let street = vec!["فردوسی".to_owned()];
        assert!(address_matches(address, &street, None, Some("12")));
        assert!(address_matches(address, &street, Some("3"), Some("12")));
        assert!(address_matches(address, &street, None, None));
        assert!(!address_matches(address, &street, None, Some("3")));
        assert!(!address_matches(address, &street, None, Some("1")));
        assert!(!address_matches(address, &street, Some("4"), Some("12")));
        assert!(!address_matches(
            address,
            &["حافظ".to_owned()],
            None,
            Some("12")
        ));
    }
}
