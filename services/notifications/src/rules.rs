//! The pure rules of notifications, with no I/O: the kinds of notice, the channels, each
//! person's preferences in effect, and the words of every message in Persian and English.

use std::collections::BTreeMap;

use estelam_proto::notifications::v1 as pb;
use serde::{Deserialize, Serialize};

/// What happened, as the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A bill waits to be paid for the person's inquiry.
    BillWaiting,
    /// A payment for the person's inquiry was received.
    PaymentReceived,
    /// The answer to the person's inquiry was issued.
    AnswerIssued,
    /// An answer to the person's inquiry was revoked.
    AnswerRevoked,
    /// A representative filed in the person's name, or a clerk decided on it.
    FiledInYourName,
    /// Somebody logged in to the person's account.
    NewLogin,
}

impl Kind {
    /// Every kind, in the order preferences list them.
    pub const ALL: [Kind; 6] = [
        Kind::BillWaiting,
        Kind::PaymentReceived,
        Kind::AnswerIssued,
        Kind::AnswerRevoked,
        Kind::FiledInYourName,
        Kind::NewLogin,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BillWaiting => "bill_waiting",
            Kind::PaymentReceived => "payment_received",
            Kind::AnswerIssued => "answer_issued",
            Kind::AnswerRevoked => "answer_revoked",
            Kind::FiledInYourName => "filed_in_your_name",
            Kind::NewLogin => "new_login",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The protobuf number.
    pub fn to_pb(self) -> pb::NoticeKind {
        match self {
            Kind::BillWaiting => pb::NoticeKind::BillWaiting,
            Kind::PaymentReceived => pb::NoticeKind::PaymentReceived,
            Kind::AnswerIssued => pb::NoticeKind::AnswerIssued,
            Kind::AnswerRevoked => pb::NoticeKind::AnswerRevoked,
            Kind::FiledInYourName => pb::NoticeKind::FiledInYourName,
            Kind::NewLogin => pb::NoticeKind::NewLogin,
        }
    }

    /// The kind of a protobuf number; `None` for unspecified or unknown.
    pub fn from_pb(n: i32) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.to_pb() as i32 == n)
    }
}

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A text message to the verified mobile.
    Sms,
    /// An e-mail to the address in the preferences.
    Email,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }

    /// The channel of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sms" => Some(Channel::Sms),
            "email" => Some(Channel::Email),
            _ => None,
        }
    }

    /// The protobuf number.
    pub fn to_pb(self) -> pb::Channel {
        match self {
            Channel::Sms => pb::Channel::Sms,
            Channel::Email => pb::Channel::Email,
        }
    }

    /// The channel of a protobuf number.
    pub fn from_pb(n: i32) -> Option<Self> {
        match pb::Channel::try_from(n).ok()? {
            pb::Channel::Sms => Some(Channel::Sms),
            pb::Channel::Email => Some(Channel::Email),
            pb::Channel::Unspecified => None,
        }
    }
}

/// The language a person is written to in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// Persian, the default.
    #[default]
    Fa,
    /// English.
    En,
}

impl Language {
    /// The code stored and sent (`fa`, `en`).
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Fa => "fa",
            Language::En => "en",
        }
    }

    /// The language of a code; `None` for any other.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fa" | "" => Some(Language::Fa),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// A person's preferences: the channels per kind, where e-mails go, the language.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preferences {
    /// Channels per kind; a kind missing here gets [`default_channels`].
    pub channels: BTreeMap<Kind, Vec<Channel>>,
    /// Where e-mails go; empty for none.
    pub email: String,
    /// What language to write in.
    pub language: Language,
}

/// What a person who never chose gets: an SMS for everything, since identity holds a
/// verified mobile and no e-mail address.
pub fn default_channels(_kind: Kind) -> Vec<Channel> {
    vec![Channel::Sms]
}

impl Preferences {
    /// The channels in effect for `kind`.
    pub fn channels_for(&self, kind: Kind) -> Vec<Channel> {
        self.channels
            .get(&kind)
            .cloned()
            .unwrap_or_else(|| default_channels(kind))
    }
}

/// What a notice says, gathered from its event (and, for the inquiry number of a fees
/// event, from the inquiry service).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    /// The inquiry number people quote.
    #[serde(default)]
    pub inquiry_number: String,
    /// The parcel's renovation code.
    #[serde(default)]
    pub renovation_code: String,
    /// A bill's or payment's amount, rials.
    #[serde(default)]
    pub amount_rials: i64,
    /// A payment's tracking code.
    #[serde(default)]
    pub tracking_code: String,
    /// An answer's verification code.
    #[serde(default)]
    pub verification_code: String,
    /// Why (an answer revoked, a representation refused).
    #[serde(default)]
    pub reason: String,
    /// Who acted (a representative's name).
    #[serde(default)]
    pub actor: String,
    /// A representation's stage: filed, approved or refused.
    #[serde(default)]
    pub stage: String,
    /// Where a login came from.
    #[serde(default)]
    pub source: String,
}

/// One message, ready for a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// An e-mail's subject; for an SMS, the same words as the body's first line.
    pub subject: String,
    /// The text.
    pub body: String,
}

/// Rials written with thousands separators, and the toman figure people think in.
fn money(rials: i64, lang: Language) -> String {
    fn grouped(n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    }
    match lang {
        Language::Fa => format!("{} ریال ({} تومان)", grouped(rials), grouped(rials / 10)),
        Language::En => format!("{} rials ({} tomans)", grouped(rials), grouped(rials / 10)),
    }
}

/// The message telling `name` of a `kind` notice with `facts`, in `lang`. The SMS is the
/// body alone; the e-mail has the subject too. Every message names the municipality first,
/// so a person knows who writes before reading on.
pub fn render(kind: Kind, facts: &Facts, name: &str, lang: Language) -> Message {
    let n = &facts.inquiry_number;
    let (subject, body) = match lang {
        Language::Fa => match kind {
            Kind::BillWaiting => (
                format!("شهرداری: صورت‌حساب استعلام {n} منتظر پرداخت است"),
                format!(
                    "{name} گرامی، صورت‌حساب استعلام ملک {n} به مبلغ {} صادر شد. برای ادامه، آن را در درگاه شهرداری پرداخت کنید.",
                    money(facts.amount_rials, lang)
                ),
            ),
            Kind::PaymentReceived => (
                format!("شهرداری: پرداخت استعلام {n} دریافت شد"),
                format!(
                    "{name} گرامی، پرداخت {} برای استعلام {n} دریافت شد. کد رهگیری: {}",
                    money(facts.amount_rials, lang),
                    facts.tracking_code
                ),
            ),
            Kind::AnswerIssued => (
                format!("شهرداری: پاسخ استعلام {n} صادر شد"),
                format!(
                    "{name} گرامی، پاسخ استعلام ملک {n} صادر شد. آن را از درگاه شهرداری دریافت کنید. کد صحت‌سنجی: {}",
                    facts.verification_code
                ),
            ),
            Kind::AnswerRevoked => (
                format!("شهرداری: پاسخ استعلام {n} باطل شد"),
                format!(
                    "{name} گرامی، پاسخ استعلام ملک {n} باطل شد و دیگر معتبر نیست. علت: {}",
                    facts.reason
                ),
            ),
            Kind::FiledInYourName => (
                format!("شهرداری: استعلام {n} به نام شما"),
                match facts.stage.as_str() {
                    "approved" => format!(
                        "{name} گرامی، وکالت {} برای استعلام {n} به نام شما تأیید شد.",
                        facts.actor
                    ),
                    "refused" => format!(
                        "{name} گرامی، وکالت {} برای استعلام {n} به نام شما پذیرفته نشد. علت: {}",
                        facts.actor, facts.reason
                    ),
                    _ => format!(
                        "{name} گرامی، استعلام ملک {n} به نام شما به وکالت {} ثبت شد. اگر وکالت نداده‌اید با شهرداری تماس بگیرید.",
                        facts.actor
                    ),
                },
            ),
            Kind::NewLogin => (
                "شهرداری: ورود تازه به حساب شما".to_owned(),
                format!(
                    "{name} گرامی، کسی از نشانی {} وارد حساب شما شد. اگر شما نبودید، گذرواژه را عوض کنید.",
                    facts.source
                ),
            ),
        },
        Language::En => match kind {
            Kind::BillWaiting => (
                format!("Municipality: the bill of inquiry {n} is waiting for payment"),
                format!(
                    "Dear {name}, the bill of property inquiry {n} for {} was issued. Pay it on the municipality's portal to go on.",
                    money(facts.amount_rials, lang)
                ),
            ),
            Kind::PaymentReceived => (
                format!("Municipality: payment for inquiry {n} received"),
                format!(
                    "Dear {name}, your payment of {} for inquiry {n} was received. Tracking code: {}",
                    money(facts.amount_rials, lang),
                    facts.tracking_code
                ),
            ),
            Kind::AnswerIssued => (
                format!("Municipality: the answer to inquiry {n} was issued"),
                format!(
                    "Dear {name}, the answer to property inquiry {n} was issued. Download it from the municipality's portal. Verification code: {}",
                    facts.verification_code
                ),
            ),
            Kind::AnswerRevoked => (
                format!("Municipality: the answer to inquiry {n} was revoked"),
                format!(
                    "Dear {name}, the answer to property inquiry {n} was revoked and no longer stands. Reason: {}",
                    facts.reason
                ),
            ),
            Kind::FiledInYourName => (
                format!("Municipality: inquiry {n} in your name"),
                match facts.stage.as_str() {
                    "approved" => format!(
                        "Dear {name}, {}'s power of attorney for inquiry {n} in your name was approved.",
                        facts.actor
                    ),
                    "refused" => format!(
                        "Dear {name}, {}'s power of attorney for inquiry {n} in your name was refused. Reason: {}",
                        facts.actor, facts.reason
                    ),
                    _ => format!(
                        "Dear {name}, property inquiry {n} was filed in your name by {} as your representative. If you gave no power of attorney, contact the municipality.",
                        facts.actor
                    ),
                },
            ),
            Kind::NewLogin => (
                "Municipality: a new login to your account".to_owned(),
                format!(
                    "Dear {name}, somebody logged in to your account from {}. If it was not you, change your password.",
                    facts.source
                ),
            ),
        },
    };
    Message { subject, body }
}

/// `mobile` with its middle hidden (0912*****67), as the audit shows it to anyone.
pub fn mask_recipient(recipient: &str) -> String {
    if let Some((user, domain)) = recipient.split_once('@') {
        let first: String = user.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = recipient.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

/// Whether `email` looks like an address a message can be sent to: one `@`, something
/// before it, a dotted domain after it, no spaces or angle brackets.
pub fn email_plausible(email: &str) -> bool {
    let Some((user, domain)) = email.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || "<>,;\"".contains(c))
        && email.len() <= 254
}

/// The pause before attempt `attempt + 1` after `attempt` failures: doubling from `min`,
/// at most `max`.
pub fn backoff_us(attempt: u32, min_ms: u64, max_ms: u64) -> i64 {
    let exp = attempt.saturating_sub(1).min(20);
    let ms = min_ms.saturating_mul(1u64 << exp).min(max_ms);
    i64::try_from(ms.saturating_mul(1000)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            inquiry_number: "0512345678".into(),
            amount_rials: 12_345_670,
            tracking_code: "99887766".into(),
            verification_code: "11223344".into(),
            reason: "خطای ثبت".into(),
            actor: "رضا وکیلی".into(),
            stage: "filed".into(),
            source: "10.0.0.7".into(),
            ..Facts::default()
        }
    }

    #[test]
    fn every_kind_names_the_inquiry_in_the_persons_language() {
        for kind in Kind::ALL {
            let fa = render(kind, &facts(), "زهرا احمدی", Language::Fa);
            let en = render(kind, &facts(), "Zahra Ahmadi", Language::En);
            assert!(fa.subject.starts_with("شهرداری"), "{fa:?}");
            assert!(en.subject.starts_with("Municipality"), "{en:?}");
            assert!(fa.body.contains("زهرا احمدی") && en.body.contains("Zahra Ahmadi"));
            if kind != Kind::NewLogin {
                assert!(fa.subject.contains("0512345678") && en.body.contains("0512345678"));
            }
        }
    }

    #[test]
    fn amounts_show_rials_and_tomans() {
        let m = render(Kind::BillWaiting, &facts(), "x", Language::En);
        assert!(
            m.body.contains("12,345,670 rials (1,234,567 tomans)"),
            "{}",
            m.body
        );
    }

    #[test]
    fn recipients_are_masked() {
        assert_eq!(mask_recipient("09121234567"), "0912*****67");
        assert_eq!(mask_recipient("zahra@example.ir"), "z***@example.ir");
    }

    #[test]
    fn plausible_addresses_only() {
        assert!(email_plausible("zahra@example.ir"));
        for bad in [
            "",
            "zahra",
            "@example.ir",
            "z@example",
            "z a@example.ir",
            "z@@example.ir",
            "z@example.ir>",
        ] {
            assert!(!email_plausible(bad), "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_and_stops_growing() {
        assert_eq!(backoff_us(1, 500, 10_000), 500_000);
        assert_eq!(backoff_us(2, 500, 10_000), 1_000_000);
        assert_eq!(backoff_us(30, 500, 10_000), 10_000_000);
    }

    #[test]
    fn kinds_and_channels_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
            assert_eq!(Kind::from_pb(k.to_pb() as i32), Some(k));
        }
        assert_eq!(
            Channel::from_pb(pb::Channel::Email as i32),
            Some(Channel::Email)
        );
        assert_eq!(Language::parse("EN"), Some(Language::En));
        assert_eq!(Language::parse("de"), None);
    }
}
