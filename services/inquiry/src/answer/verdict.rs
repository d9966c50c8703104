//! What a check of an issued answer tells the person holding the paper: whether it stands,
//! and in which words; and how much of a national code the public may see.

use estelam_proto::inquiry::v1 as pb;

use crate::request_types::Text;

/// Masks a national code for the public: the first three and last three digits stay
/// (`0076229645` → `007****645`); short values are masked whole.
pub fn mask_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let n = chars.len();
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(n - 6));
    out.extend(&chars[n - 3..]);
    out
}

/// Whether an answer stands at `now_us`: a revocation outlives the validity, since a
/// verifier must learn that the answer was withdrawn, not merely that it ran out.
pub fn status(revoked: bool, valid_until_us: i64, now_us: i64) -> pb::AnswerStatus {
    if revoked {
        pb::AnswerStatus::Revoked
    } else if valid_until_us < now_us {
        pb::AnswerStatus::Expired
    } else {
        pb::AnswerStatus::Valid
    }
}

/// What a check of a stored answer found, as VerifyAnswer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check<'a> {
    /// The revocation reason, when the answer was revoked.
    pub revoked_reason: Option<&'a str>,
    /// A copy was presented for comparison and it differs from the stored answer.
    pub copy_differs: bool,
    /// The answer's validity ended before the check.
    pub expired: bool,
    /// The stored signature verifies with the key that made it.
    pub signature_valid: bool,
}

/// The verdict of a check and what to tell the person holding the paper. The order is the
/// order of what matters most to them: a revoked answer is void whatever else holds, a
/// copy that differs is not the answer at all, and only then do validity and signature
/// speak about the answer itself.
pub fn verdict(check: Check<'_>) -> (pb::VerificationResult, Text) {
    use pb::VerificationResult as V;
    if let Some(reason) = check.revoked_reason {
        return (
            V::Revoked,
            Text {
                fa: format!("این پاسخ استعلام باطل شده است. علت: {reason}"),
                en: format!("This answer was revoked. Reason: {reason}"),
            },
        );
    }
    let (result, fa, en) = if check.copy_differs {
        (
            V::CopyMismatch,
            "نسخهٔ ارائه‌شده با پاسخ صادرشده یکی نیست؛ به آن اعتماد نکنید.",
            "The copy presented differs from the answer issued; do not rely on it.",
        )
    } else if check.expired {
        (
            V::Expired,
            "مدت اعتبار این پاسخ استعلام به پایان رسیده است.",
            "This answer is past its validity.",
        )
    } else if !check.signature_valid {
        (
            V::CopyMismatch,
            "امضای پاسخ نامعتبر است؛ با شهرداری تماس بگیرید.",
            "The answer's signature does not verify; contact the municipality.",
        )
    } else {
        (
            V::Valid,
            "این پاسخ استعلام را شهرداری صادر کرده و معتبر است.",
            "This answer was issued by the municipality and is valid.",
        )
    };
    (result, Text::new(fa, en))
}

/// What VerifyAnswer tells someone whose code names no answer: the paper is not one.
pub fn unknown_code_message() -> Text {
    Text::new(
        "پاسخی با این کد تصدیق صادر نشده است. این برگه را معتبر ندانید.",
        "No answer was issued with this verification code. Do not rely on this paper.",
    )
}
