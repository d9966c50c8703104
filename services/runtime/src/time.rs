//! Instants between the store and the wire.
//!
//! Stores keep UTC instants as microseconds since the Unix epoch (`BIGINT`, see
//! `docs/service-conventions.md`); the contracts carry `google.protobuf.Timestamp`. Every
//! service converts the same way here, so a timestamp read back from one service compares
//! equal to the one another service stored.

use prost_types::Timestamp;

use crate::error::ServiceError;
use crate::reasons;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A stored instant on the wire. Negative instants (before 1970) keep `nanos` non-negative,
/// as the protobuf contract requires.
pub fn timestamp(micros: i64) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(MICROS_PER_SECOND),
        // rem_euclid is in 0..1_000_000, so the product fits in an i32.
        nanos: i32::try_from(micros.rem_euclid(MICROS_PER_SECOND) * 1_000).unwrap_or(0),
    }
}

/// A stored instant on the wire where 0 means "never": `None` and 0 are both unset.
pub fn optional_timestamp(micros: Option<i64>) -> Option<Timestamp> {
    micros.filter(|us| *us != 0).map(timestamp)
}

/// Whole seconds since the epoch on the wire (token expiry times, for instance).
pub fn timestamp_from_secs(secs: u64) -> Timestamp {
    Timestamp {
        seconds: i64::try_from(secs).unwrap_or(i64::MAX),
        nanos: 0,
    }
}

/// A wire timestamp as microseconds, or `None` when it cannot be one: `nanos` outside
/// 0..1e9, or an instant too far from 1970 for an `i64` of microseconds.
pub fn micros(t: &Timestamp) -> Option<i64> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    t.seconds
        .checked_mul(MICROS_PER_SECOND)?
        .checked_add(i64::from(t.nanos / 1_000))
}

/// A caller's timestamp in the named request field as microseconds; a malformed one is
/// refused as that field's error rather than clamped to a different instant.
pub fn micros_of_field(t: &Timestamp, field: &str) -> Result<i64, ServiceError> {
    micros(t).ok_or_else(|| {
        ServiceError::invalid_field(
            field,
            reasons::common::TIMESTAMP_INVALID,
            "زمان واردشده نادرست است؛ یک زمان معتبر بفرستید.",
            "The timestamp is not valid; send a valid instant.",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_including_before_the_epoch() {
        for us in [
            0,
            1,
            999_999,
            1_000_000,
            1_733_000_000_123_456,
            -1,
            -1_500_000,
        ] {
            assert_eq!(micros(&timestamp(us)), Some(us), "{us}");
            assert!((0..1_000_000_000).contains(&timestamp(us).nanos));
        }
    }

    #[test]
    fn malformed_wire_values_are_refused_not_clamped() {
        let bad_nanos = Timestamp {
            seconds: 1,
            nanos: -5,
        };
        assert_eq!(micros(&bad_nanos), None);
        let too_far = Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert_eq!(micros(&too_far), None);
        let err = micros_of_field(&too_far, "as_of").expect_err("refused");
        assert_eq!(err.reason, "TIMESTAMP_INVALID");
        assert_eq!(err.fields[0].field, "as_of");
    }

    #[test]
    fn zero_is_unset() {
        assert_eq!(optional_timestamp(Some(0)), None);
        assert_eq!(optional_timestamp(None), None);
        assert_eq!(optional_timestamp(Some(7)), Some(timestamp(7)));
    }
}
