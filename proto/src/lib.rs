//! Estelam contracts: the gRPC APIs of every service and the messages
//! published on the event bus, generated from the `.proto` files in this
//! crate's `estelam/` directory.
//!
//! Modules mirror the protobuf packages: `estelam.identity.v1` is
//! [`identity::v1`], `estelam.events.v1` is [`events::v1`], and so on. Each
//! service module holds its messages, a `*_service_client` module with the
//! tonic client and a `*_service_server` module with the server trait.
//!
//! Conventions shared by every package (money in `*_rials` as `i64`, Jalali
//! dates as `YYYY/MM/DD` strings, paging, idempotency and optimistic
//! concurrency fields) are written down at the top of
//! `estelam/common/v1/common.proto`.

/// Generated code is included as-is: it has no doc comments where the
/// `.proto` has none and is not held to the workspace's clippy lints.
macro_rules! generated {
    ($(#[$meta:meta])* $package:ident, $file:literal) => {
        $(#[$meta])*
        pub mod $package {
            #[allow(missing_docs, clippy::all, clippy::pedantic, clippy::nursery)]
            pub mod v1 {
                include!(concat!(env!("OUT_DIR"), "/", $file));
            }
        }
    };
}

generated!(
    /// `estelam.common.v1`: value types shared by several services
    /// (localized text, points, bounding boxes, audit stamps, dang shares).
    common,
    "estelam.common.v1.rs"
);
generated!(
    /// `estelam.identity.v1`: accounts, organizations, login and tokens,
    /// and the signing keys every service verifies tokens with.
    identity,
    "estelam.identity.v1.rs"
);
generated!(
    /// `estelam.property.v1`: parcels, owners, request numbers and the map.
    property,
    "estelam.property.v1.rs"
);
generated!(
    /// `estelam.documents.v1`: the document store (streamed upload and
    /// download).
    documents,
    "estelam.documents.v1.rs"
);
generated!(
    /// `estelam.fees.v1`: tariffs, bills, the parcel ledger, payments and
    /// clearance.
    fees,
    "estelam.fees.v1.rs"
);
generated!(
    /// `estelam.inquiry.v1`: the inquiry workflow, request types and the
    /// signed answer.
    inquiry,
    "estelam.inquiry.v1.rs"
);
generated!(
    /// `estelam.notifications.v1`: per-person notification preferences and
    /// the audit of the SMS and e-mails sent.
    notifications,
    "estelam.notifications.v1.rs"
);
generated!(
    /// `estelam.events.v1`: messages published on the `estelam.events`
    /// exchange; see [`routing_keys`] for where each one goes.
    events,
    "estelam.events.v1.rs"
);

impl documents::v1::DocumentKind {
    /// The code of the kind this enum value names (`national-id-card`, …); `None` for
    /// unspecified. Document kinds are data owned by the documents service; these five
    /// codes are seeded there and never change, so the enum and the codes always agree.
    pub fn code(self) -> Option<&'static str> {
        use documents::v1::DocumentKind as K;
        match self {
            K::NationalIdCard => Some("national-id-card"),
            K::OwnershipDeed => Some("ownership-deed"),
            K::AuthorityLetter => Some("authority-letter"),
            K::Other => Some("other"),
            K::PowerOfAttorney => Some("power-of-attorney"),
            K::Unspecified => None,
        }
    }

    /// The enum value of a kind's code; `None` for kinds added as data (and unknown codes).
    pub fn from_code(code: &str) -> Option<Self> {
        use documents::v1::DocumentKind as K;
        [
            K::NationalIdCard,
            K::OwnershipDeed,
            K::AuthorityLetter,
            K::Other,
            K::PowerOfAttorney,
        ]
        .into_iter()
        .find(|k| k.code() == Some(code))
    }

    /// The code a wire enum number names; `None` for unspecified and for numbers the
    /// contract does not define.
    pub fn code_of(number: i32) -> Option<&'static str> {
        Self::try_from(number).ok().and_then(Self::code)
    }
}

/// The encoded `google.protobuf.FileDescriptorSet` of every Estelam `.proto`
/// file (and the well-known types they import), for `tonic-reflection`:
/// `tonic_reflection::server::Builder::configure()
/// .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/estelam_descriptor.bin"));

/// Name of the durable RabbitMQ topic exchange every event is published to.
pub const EVENTS_EXCHANGE: &str = "estelam.events";

/// Routing keys of the events on [`EVENTS_EXCHANGE`], one per message of
/// [`events::v1`].
pub mod routing_keys {
    /// [`crate::events::v1::DebtAssessed`]: a parcel's debt was assessed and
    /// a bill stored.
    pub const DEBT_ASSESSED: &str = "fees.debt.assessed";
    /// [`crate::events::v1::PaymentReceived`]: a payment was confirmed.
    pub const PAYMENT_RECEIVED: &str = "fees.payment.received";
    /// [`crate::events::v1::DebtCleared`]: a bill's debt was cleared.
    pub const DEBT_CLEARED: &str = "fees.debt.cleared";
    /// [`crate::events::v1::AnswerIssued`]: an inquiry's answer was issued.
    pub const ANSWER_ISSUED: &str = "inquiry.answer.issued";
    /// [`crate::events::v1::AnswerRevoked`]: an issued answer was revoked.
    pub const ANSWER_REVOKED: &str = "inquiry.answer.revoked";
    /// [`crate::events::v1::RepresentationChanged`]: an inquiry was filed in an
    /// owner's name by a representative, or its representation was decided.
    pub const REPRESENTATION_CHANGED: &str = "inquiry.representation.changed";
    /// [`crate::events::v1::InquiryAwaitingPayment`]: a submitted inquiry waits for
    /// its bill to be paid.
    pub const AWAITING_PAYMENT: &str = "inquiry.awaiting_payment";
    /// [`crate::events::v1::BatchFinished`]: every item of an authority's batch
    /// has its outcome.
    pub const BATCH_FINISHED: &str = "inquiry.batch.finished";
    /// [`crate::events::v1::SessionStarted`]: somebody logged in to an account.
    pub const SESSION_STARTED: &str = "identity.session.started";

    /// Every routing key, for binding a queue to all of them or checking a
    /// configuration.
    pub const ALL: &[&str] = &[
        DEBT_ASSESSED,
        PAYMENT_RECEIVED,
        DEBT_CLEARED,
        ANSWER_ISSUED,
        ANSWER_REVOKED,
        REPRESENTATION_CHANGED,
        AWAITING_PAYMENT,
        BATCH_FINISHED,
        SESSION_STARTED,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_types::FileDescriptorSet;

    fn descriptor_set() -> FileDescriptorSet {
        FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("descriptor set decodes")
    }

    #[test]
    fn descriptor_set_holds_every_service() {
        let set = descriptor_set();
        let services: Vec<String> = set
            .file
            .iter()
            .flat_map(|file| {
                file.service
                    .iter()
                    .map(move |service| format!("{}.{}", file.package(), service.name()))
            })
            .collect();
        for expected in [
            "estelam.identity.v1.IdentityService",
            "estelam.property.v1.PropertyService",
            "estelam.documents.v1.DocumentService",
            "estelam.fees.v1.FeeService",
            "estelam.inquiry.v1.InquiryService",
        ] {
            assert!(
                services.iter().any(|name| name == expected),
                "{expected} missing from the descriptor set: {services:?}"
            );
        }
    }

    #[test]
    fn descriptor_set_is_self_contained_for_reflection() {
        // Reflection clients resolve imports from the same set, so the
        // well-known types the contracts import must be in it too.
        let set = descriptor_set();
        let names: Vec<&str> = set.file.iter().map(|file| file.name()).collect();
        for file in &set.file {
            for dependency in &file.dependency {
                assert!(
                    names.contains(&dependency.as_str()),
                    "{} imports {dependency}, which is not in the set",
                    file.name()
                );
            }
        }
    }

    #[test]
    fn descriptor_set_holds_the_events_package() {
        let set = descriptor_set();
        let events = set
            .file
            .iter()
            .find(|file| file.package() == "estelam.events.v1")
            .expect("estelam.events.v1 in the descriptor set");
        let messages: Vec<&str> = events.message_type.iter().map(|m| m.name()).collect();
        for expected in [
            "DebtAssessed",
            "PaymentReceived",
            "DebtCleared",
            "AnswerIssued",
            "AnswerRevoked",
        ] {
            assert!(
                messages.contains(&expected),
                "{expected} missing: {messages:?}"
            );
        }
    }

    #[test]
    fn every_event_has_a_distinct_routing_key() {
        let mut keys = routing_keys::ALL.to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), routing_keys::ALL.len());
        assert_eq!(
            keys.len(),
            descriptor_set()
                .file
                .iter()
                .filter(|file| file.package() == "estelam.events.v1")
                .map(|file| file.message_type.len())
                .sum::<usize>()
        );
    }

    #[test]
    fn event_round_trips_through_protobuf() {
        let event = events::v1::DebtCleared {
            event_id: "0190f1c2-0000-7000-8000-000000000001".into(),
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_710_892_800,
                nanos: 0,
            }),
            renovation_code: "1-2-3-4-5-6".into(),
            bill_id: "bill".into(),
            inquiry_id: "inquiry".into(),
            payment_id: "payment".into(),
            tracking_code: "1234567890".into(),
            amount_rials: 12_500_000,
            balance_rials: 0,
            disputes: Vec::new(),
        };
        let decoded =
            events::v1::DebtCleared::decode(event.encode_to_vec().as_slice()).expect("decodes");
        assert_eq!(decoded, event);
    }
}
