//! Document kinds as data: listing them (anyone signed in), publishing a version (admins,
//! audited), and resolving the kind an upload names, whose accepted media types and size
//! limit the upload is then held to.
//!
//! A kind is named by the contract's enum or by its code; the rule (in `documents.proto`):
//! the enum wins when set, the code is used otherwise, and both set must name one kind.

use estelam_domain::text::{TextField, clean_text};
use estelam_proto::documents::v1::DocumentKind;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db;
use estelam_runtime::error::ServiceError;

use super::Archive;
use crate::errors::{self, KindName};
use crate::inspect::FileType;
use crate::store::{self, KindRow};

/// The Persian name field of a kind.
const NAME_FA: TextField = TextField::new(
    "kind.name.fa",
    "نام فارسی نوع مدرک",
    "document kind's Persian name",
);
/// The English name field of a kind.
const NAME_EN: TextField = TextField::new(
    "kind.name.en",
    "نام انگلیسی نوع مدرک",
    "document kind's English name",
);
/// Why a kind was changed.
const REASON: TextField = TextField::new("reason", "دلیل تغییر", "reason for the change");

/// Longest name kept, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A kind as an admin sends it, unchecked.
#[derive(Debug, Clone, Default)]
pub struct KindDraft {
    /// The code.
    pub code: String,
    /// The Persian name.
    pub name_fa: String,
    /// The English name.
    pub name_en: String,
    /// Accepted media types.
    pub accepted_content_types: Vec<String>,
    /// The size limit in bytes.
    pub max_size_bytes: i64,
    /// Whether it is active.
    pub active: bool,
}

/// Whether `code` follows the code rule: 2–64 of `a-z`, `0-9`, `-`, starting with a letter.
pub fn code_valid(code: &str) -> bool {
    (2..=64).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The code an enum number and a code name together, by the rule: the enum wins when set;
/// the code otherwise; both set must agree. `Ok(None)` when neither is set.
pub fn named_code(kind: i32, code: &str) -> Result<Option<String>, ServiceError> {
    let code = code.trim();
    let by_enum = match kind {
        0 => None,
        // A number the contract does not define names no kind.
        n => Some(
            DocumentKind::code_of(n)
                .ok_or_else(|| errors::document_kind_unknown(&n.to_string()))?,
        ),
    };
    match (by_enum, code.is_empty()) {
        (Some(e), false) if e != code => Err(errors::document_kind_mismatch()),
        (Some(e), _) => Ok(Some(e.to_owned())),
        (None, false) => Ok(Some(code.to_owned())),
        (None, true) => Ok(None),
    }
}

/// Checks a draft against the rules and the service's own size limit, cleaning its names.
pub fn validate(draft: &KindDraft, service_max: u64) -> Result<KindDraft, ServiceError> {
    let code = draft.code.trim();
    if !code_valid(code) {
        return Err(errors::document_kind_code_invalid());
    }
    let name_fa = clean_text(NAME_FA, &draft.name_fa).map_err(errors::kind_text_refused)?;
    let name_en = clean_text(NAME_EN, &draft.name_en).map_err(errors::kind_text_refused)?;
    if name_fa.is_empty() || name_fa.chars().count() > MAX_NAME_CHARS {
        return Err(errors::document_kind_name_invalid(NAME_FA.path));
    }
    if name_en.chars().count() > MAX_NAME_CHARS {
        return Err(errors::document_kind_name_invalid(NAME_EN.path));
    }
    let mut types: Vec<String> = Vec::new();
    for t in &draft.accepted_content_types {
        let canonical = FileType::from_mime(t)
            .ok_or_else(errors::document_kind_content_types_invalid)?
            .mime()
            .to_owned();
        if !types.contains(&canonical) {
            types.push(canonical);
        }
    }
    if types.is_empty() {
        return Err(errors::document_kind_content_types_invalid());
    }
    types.sort();
    let max = i64::try_from(service_max).unwrap_or(i64::MAX);
    if draft.max_size_bytes < 1 || draft.max_size_bytes > max {
        return Err(errors::document_kind_size_limit_invalid(service_max));
    }
    Ok(KindDraft {
        code: code.to_owned(),
        name_fa,
        name_en,
        accepted_content_types: types,
        max_size_bytes: draft.max_size_bytes,
        active: draft.active,
    })
}

/// Whether a stored kind already is what a draft asks for (a retried put).
fn same(row: &KindRow, draft: &KindDraft) -> bool {
    row.name_fa == draft.name_fa
        && row.name_en == draft.name_en
        && row.accepted_content_types == draft.accepted_content_types
        && row.max_size_bytes == draft.max_size_bytes
        && row.active == draft.active
}

/// The names of a kind, for the refusals that name it.
pub fn kind_name(row: &KindRow) -> KindName<'_> {
    KindName {
        fa: &row.name_fa,
        en: if row.name_en.is_empty() {
            &row.name_fa
        } else {
            &row.name_en
        },
    }
}

impl Archive {
    /// Every kind, or the active ones only; anyone signed in.
    pub async fn kinds(&self, include_inactive: bool) -> Result<Vec<KindRow>, ServiceError> {
        let rows = store::list_kinds(&self.db).await?;
        Ok(rows
            .into_iter()
            .filter(|k| include_inactive || k.active)
            .collect())
    }

    /// The active kind an upload or a list names, or the refusal naming the code.
    pub async fn active_kind(&self, code: &str) -> Result<KindRow, ServiceError> {
        if !code_valid(code) {
            return Err(errors::document_kind_unknown(code));
        }
        store::get_kind(&self.db, code)
            .await?
            .filter(|k| k.active)
            .ok_or_else(|| errors::document_kind_unknown(code))
    }

    /// The kind a list names, active or not (documents of a retired kind stay listable).
    pub async fn any_kind(&self, code: &str) -> Result<KindRow, ServiceError> {
        if !code_valid(code) {
            return Err(errors::document_kind_unknown(code));
        }
        store::get_kind(&self.db, code)
            .await?
            .ok_or_else(|| errors::document_kind_unknown(code))
    }

    /// Publishes a kind's next version (admins): `expected_version` 0 creates it. A retry of
    /// a put that succeeded answers with the stored kind; any other race is a conflict.
    pub async fn put_kind(
        &self,
        caller: &Caller,
        draft: &KindDraft,
        expected_version: i64,
        reason: &str,
    ) -> Result<KindRow, ServiceError> {
        caller.require_any(&[Role::Admin])?;
        let draft = validate(draft, self.settings.max_document_bytes)?;
        let reason = clean_text(REASON, reason).map_err(errors::kind_text_refused)?;
        let current = store::get_kind(&self.db, &draft.code).await?;
        let current_version = current.as_ref().map_or(0, |k| k.version);
        if expected_version != current_version {
            return match current {
                Some(row) if same(&row, &draft) => Ok(row),
                _ => Err(ServiceError::conflict()),
            };
        }
        let row = KindRow {
            enum_value: current.as_ref().map_or_else(
                || DocumentKind::from_code(&draft.code).map_or(0, |k| k as i32),
                |k| k.enum_value,
            ),
            code: draft.code,
            name_fa: draft.name_fa,
            name_en: draft.name_en,
            accepted_content_types: draft.accepted_content_types,
            max_size_bytes: draft.max_size_bytes,
            active: draft.active,
            version: current_version + 1,
            updated_at_micros: db::now_micros(),
            updated_by_account_id: caller.subject.clone(),
        };
        let json = serde_json::json!({
            "code": row.code,
            "name": { "fa": row.name_fa, "en": row.name_en },
            "accepted_content_types": row.accepted_content_types,
            "max_size_bytes": row.max_size_bytes,
            "active": row.active,
        })
        .to_string();
        let mut tx = self.db.begin().await?;
        if !store::put_kind(&mut tx, &row).await? {
            return Err(ServiceError::conflict());
        }
        store::audit_kind(&mut tx, &row, &reason, &json).await?;
        tx.commit().await?;
        tracing::info!(kind = %row.code, version = row.version, by = %row.updated_by_account_id, "document kind published");
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> KindDraft {
        KindDraft {
            code: "site-plan".into(),
            name_fa: "نقشهٔ  تفکیکي".into(),
            name_en: "site plan".into(),
            accepted_content_types: vec!["application/pdf".into(), "image/jpg".into()],
            max_size_bytes: 1000,
            active: true,
        }
    }

    #[test]
    fn a_valid_draft_is_cleaned_and_its_types_made_canonical() {
        let ok = validate(&draft(), 10_000).expect("valid");
        assert_eq!(ok.name_fa, "نقشهٔ تفکیکی");
        assert_eq!(ok.accepted_content_types, ["application/pdf", "image/jpeg"]);
    }

    #[test]
    fn codes_names_types_and_limits_out_of_rule_are_refused() {
        let reason = |d: KindDraft| validate(&d, 10_000).expect_err("refused").reason;
        for code in ["", "a", "Site-plan", "1plan", "site_plan", &"a".repeat(65)] {
            assert_eq!(
                reason(KindDraft {
                    code: code.into(),
                    ..draft()
                }),
                "DOCUMENT_KIND_CODE_INVALID",
                "{code}"
            );
        }
        assert_eq!(
            reason(KindDraft {
                name_fa: " ".into(),
                ..draft()
            }),
            "DOCUMENT_KIND_NAME_INVALID"
        );
        assert_eq!(
            reason(KindDraft {
                accepted_content_types: vec![],
                ..draft()
            }),
            "DOCUMENT_KIND_CONTENT_TYPES_INVALID"
        );
        assert_eq!(
            reason(KindDraft {
                accepted_content_types: vec!["image/gif".into()],
                ..draft()
            }),
            "DOCUMENT_KIND_CONTENT_TYPES_INVALID"
        );
        for max in [0, -1, 10_001] {
            assert_eq!(
                reason(KindDraft {
                    max_size_bytes: max,
                    ..draft()
                }),
                "DOCUMENT_KIND_SIZE_LIMIT_INVALID"
            );
        }
    }

    #[test]
    fn the_enum_wins_the_code_serves_otherwise_and_both_must_agree() {
        let deed = DocumentKind::OwnershipDeed as i32;
        assert_eq!(
            named_code(deed, "").expect("enum"),
            Some("ownership-deed".into())
        );
        assert_eq!(
            named_code(0, "site-plan").expect("code"),
            Some("site-plan".into())
        );
        assert_eq!(
            named_code(deed, "ownership-deed").expect("agree"),
            Some("ownership-deed".into())
        );
        assert_eq!(
            named_code(deed, "site-plan").expect_err("disagree").reason,
            "DOCUMENT_KIND_MISMATCH"
        );
        assert_eq!(named_code(0, " ").expect("none"), None);
        assert_eq!(
            named_code(99, "").expect_err("undefined").reason,
            "DOCUMENT_KIND_UNKNOWN"
        );
    }
}
