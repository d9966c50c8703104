//! One audit trail you can trust: every audit table of every service refuses an UPDATE and a
//! DELETE in the database itself (triggers on SQLite and PostgreSQL), whoever sends it — a
//! bug, an operator at a SQL prompt, an injected statement. Each table gets a row, then each
//! change is tried (and TRUNCATE on PostgreSQL) and must fail, and the row must still read
//! back as written.
//!
//! Then, through the gateway on the whole running system: a clerk's download of a citizen's
//! ID card is on the desk's audit route (`GET /api/v1/audit`), and a citizen may not read it.
//!
//! Not audit tables, and so left changeable on purpose: notifications' `deliveries` (the queue
//! of messages still to send, whose attempts and status the sender updates), property's
//! `parcel_versions` (a version's `valid_to` is closed when the next one starts), fees'
//! `account_charges` (a cancelled inquiry's charge is marked reversed).

use estelam_documents::inspect::fixtures;
use estelam_runtime::db::Migrations;
use estelam_runtime::testing;
use reqwest::StatusCode;
use sqlx::Row;

mod support;

use support::nine_steps::http::Applicant;
use support::system::{System, system};

/// An audit table of a service and a row to put in it (columns, SQL literals).
struct Table {
    name: &'static str,
    key: &'static str,
    insert: &'static str,
}

fn services() -> Vec<(&'static str, Migrations, Vec<Table>)> {
    vec![
        (
            "identity",
            estelam_identity::migrations(),
            vec![
                Table {
                    name: "audit_events",
                    key: "audit_event_id",
                    insert: "(audit_event_id, kind, account_id, presented_identifier, actor_account_id, \
                             source_address, user_agent, detail, occurred_at) \
                             VALUES ('row-1', 2, 'acc', 'nc', 'acc', '127.0.0.1', 'ua', '{}', 1)",
                },
                Table {
                    name: "owner_notices",
                    key: "inquiry_id",
                    insert: "(inquiry_id, stage, inquiry_number, owner_national_code, account_id, \
                             mobile, outcome, event_id, created_at_us) \
                             VALUES ('row-1', 'filed', '1', 'nc', 'acc', '0912', 'sent', 'ev', 1)",
                },
            ],
        ),
        (
            "property",
            estelam_property::migrations(),
            vec![Table {
                name: "audit_log",
                key: "id",
                insert: "(id, at, actor_account_id, actor_display_name, action, subject, detail) \
                         VALUES ('row-1', 1, 'clerk', 'Clerk', 'request_number.issued', '1-2-3-4-0-0', '{}')",
            }],
        ),
        (
            "fees",
            estelam_fees::migrations(),
            vec![Table {
                name: "audit_log",
                key: "audit_id",
                insert: "(audit_id, at_us, actor_id, action, subject, outcome, detail) \
                         VALUES ('row-1', 1, 'admin', 'tariff.put', 'tariff', 'ok', '{}')",
            }],
        ),
        (
            "documents",
            estelam_documents::migrations(),
            vec![
                Table {
                    name: "document_access_audit",
                    key: "id",
                    insert: "(id, at_us, actor_account_id, actor_roles, actor_organization_id, action, \
                         document_id, owner_account_id, kind, inquiry_id) \
                         VALUES ('row-1', 1, 'clerk', 'clerk', '', 'document.downloaded', 'doc', \
                         'owner', 'national-id-card', '')",
                },
                Table {
                    name: "document_kind_audit",
                    key: "id",
                    insert: "(id, at_us, actor_account_id, code, version, reason, kind_json) \
                             VALUES ('row-1', 1, 'admin', 'site-plan', 1, 'new', '{}')",
                },
            ],
        ),
        (
            "inquiry",
            estelam_inquiry::migrations(),
            vec![
                Table {
                    name: "verification_audit",
                    key: "id",
                    insert: "(id, presented_code, result, inquiry_id, caller_account_id, checked_at_us) \
                             VALUES ('row-1', '123', 'valid', 'inq', '', 1)",
                },
                Table {
                    name: "inquiry_events",
                    key: "inquiry_id",
                    insert: "(inquiry_id, seq, at_us, actor_account_id, from_state, to_state, change) \
                             VALUES ('row-1', 0, 1, 'citizen', 'draft', 'undertakings_accepted', '{}')",
                },
            ],
        ),
    ]
}

#[tokio::test]
async fn an_update_or_delete_on_any_audit_table_fails_on_every_backend() {
    for (service, migrations, tables) in services() {
        for t in testing::databases(&format!("audit_{service}"), &migrations)
            .await
            .expect("databases")
        {
            let pool = t.db.pool();
            for table in &tables {
                let at = format!("{service}.{} on {}", table.name, t.label);
                let insert = format!("INSERT INTO {} {}", table.name, table.insert);
                sqlx::query(sqlx::AssertSqlSafe(insert))
                    .execute(pool)
                    .await
                    .unwrap_or_else(|e| panic!("{at}: appending is allowed: {e}"));
                let mut tries = vec![
                    format!("UPDATE {} SET {} = 'rewritten'", table.name, table.key),
                    format!("DELETE FROM {}", table.name),
                    format!("DELETE FROM {} WHERE {} = 'row-1'", table.name, table.key),
                ];
                if t.label == "postgres" {
                    tries.push(format!("TRUNCATE {}", table.name));
                }
                for sql in tries {
                    let Err(err) = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                        .execute(pool)
                        .await
                    else {
                        panic!("{at}: `{sql}` must be refused");
                    };
                    assert!(
                        err.to_string().contains("append-only"),
                        "{at}: `{sql}` refused for the wrong reason: {err}"
                    );
                }
                let count = format!(
                    "SELECT COUNT(*) AS n FROM {} WHERE {} = 'row-1'",
                    table.name, table.key
                );
                let row = sqlx::query(sqlx::AssertSqlSafe(count))
                    .fetch_one(pool)
                    .await
                    .expect("count");
                assert_eq!(
                    row.try_get::<i64, _>("n").expect("n"),
                    1,
                    "{at}: the row is still there, as written"
                );
            }
            t.cleanup().await;
        }
    }
}

async fn log_in(s: &System, national_code: &str, password: &str) -> (String, String) {
    let reply = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"national_code": national_code, "password": password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(reply.status(), StatusCode::OK);
    let body: serde_json::Value = reply.json().await.expect("JSON");
    let token = body["tokens"]["access_token"].as_str().expect("token");
    let account = body["account"]["account_id"].as_str().expect("account id");
    (token.to_owned(), account.to_owned())
}

async fn audit(s: &System, token: &str, query: &str) -> (StatusCode, serde_json::Value) {
    let reply = s
        .http
        .get(s.url(&format!("/api/v1/audit?{query}")))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let status = reply.status();
    (status, reply.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerks_download_of_a_citizens_document_is_on_the_desks_audit() {
    let s = system().await;
    let citizen = &s.demo.citizens[0];
    let (citizen_token, _) = log_in(&s, &citizen.national_code, &citizen.password).await;
    let (clerk_token, clerk_id) =
        log_in(&s, &s.demo.clerk.national_code, &s.demo.clerk.password).await;
    let card = Applicant::new(&s.url, &citizen_token)
        .upload_ok(
            "national_id_card",
            "card.png",
            "image/png",
            fixtures::png(64, 40),
        )
        .await;

    // The owner's own download is not an access anyone needs to audit.
    let own = s
        .http
        .get(s.url(&format!("/api/v1/documents/{card}")))
        .bearer_auth(&citizen_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(own.status(), StatusCode::OK);
    let (status, before) = audit(
        &s,
        &clerk_token,
        &format!("source=documents&subject={card}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(
        before["records"].as_array().map(Vec::len),
        Some(0),
        "{before}"
    );

    let read = s
        .http
        .get(s.url(&format!("/api/v1/documents/{card}")))
        .bearer_auth(&clerk_token)
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), StatusCode::OK);
    assert!(!read.bytes().await.expect("content").is_empty());

    let (status, after) = audit(
        &s,
        &clerk_token,
        &format!("source=documents&subject={card}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let records = after["records"].as_array().expect("records");
    assert_eq!(records.len(), 1, "{after}");
    let entry = &records[0];
    assert_eq!(entry["source"], "documents");
    assert_eq!(entry["action"], "document.downloaded");
    assert_eq!(entry["subject"], card.as_str());
    assert_eq!(entry["actor_account_id"], clerk_id.as_str(), "{entry}");
    assert!(
        entry["at"].as_str().is_some_and(|a| !a.is_empty()),
        "{entry}"
    );

    // Filtered by who: the clerk's reads; and by when: nothing before the system started.
    let (_, mine) = audit(
        &s,
        &clerk_token,
        &format!("source=documents&actor={clerk_id}"),
    )
    .await;
    assert_eq!(mine["records"].as_array().map(Vec::len), Some(1), "{mine}");
    let (_, old) = audit(
        &s,
        &clerk_token,
        "source=documents&until=2020-01-01T00:00:00Z",
    )
    .await;
    assert_eq!(old["records"].as_array().map(Vec::len), Some(0), "{old}");

    // The inquiry trail is the default; a citizen reads no trail; a wrong source is a 400.
    let (status, _) = audit(&s, &clerk_token, "").await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = audit(&s, &citizen_token, "source=documents").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, bad) = audit(&s, &clerk_token, "source=everything").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (status, bad) = audit(&s, &clerk_token, "source=documents&since=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}
