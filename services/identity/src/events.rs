//! Events identity publishes through its outbox: `identity.session.started`, so the
//! notifications service can tell a person that somebody logged in to their account.

use estelam_proto::events::v1 as epb;
use estelam_proto::routing_keys;
use estelam_runtime::bus::Event;
use estelam_runtime::time::timestamp;
use prost::Message;

/// `identity.session.started` for a password login to `account_id` from `source`.
pub fn session_started(account_id: &str, source: &str, at_us: i64) -> Event {
    let mut event = Event::new(
        routing_keys::SESSION_STARTED,
        "estelam.events.v1.SessionStarted",
        Vec::new(),
    );
    event.payload = epb::SessionStarted {
        event_id: event.id.clone(),
        occurred_at: Some(timestamp(at_us)),
        account_id: account_id.to_owned(),
        source: source.to_owned(),
    }
    .encode_to_vec();
    event
}
