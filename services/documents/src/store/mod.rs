//! SQL for the documents service, one file per aggregate: [`documents`] (metadata),
//! [`usage`] (quota), [`access_audit`] (who read whose document) and [`kinds`] (document
//! kinds as data, with their append-only audit), portable over SQLite
//! and PostgreSQL.

pub mod access_audit;
pub mod documents;
pub mod kinds;
pub mod usage;

pub use access_audit::*;
pub use documents::*;
pub use kinds::*;
pub use usage::*;

#[cfg(test)]
mod tests {
    use super::*;
    use estelam_runtime::testing;

    fn row(owner: &str, n: u8) -> DocumentRow {
        DocumentRow {
            id: uuid::Uuid::now_v7().to_string(),
            owner_account_id: owner.into(),
            kind: "other".into(),
            original_filename: format!("f{n}.pdf"),
            content_type: "application/pdf".into(),
            size_bytes: 10,
            sha256: format!("{n:064x}"),
            width_px: 0,
            height_px: 0,
            page_count: 1,
            created_at_micros: estelam_runtime::db::now_micros(),
            uploaded_by_account_id: owner.into(),
            client_request_id: n.is_multiple_of(2).then(|| format!("req-{n}")),
            inquiry_id: String::new(),
            organization_id: String::new(),
        }
    }

    #[tokio::test]
    async fn rows_round_trip_list_pages_and_quota_holds_on_every_backend() {
        for t in testing::databases("documents_store", &crate::migrations())
            .await
            .expect("databases")
        {
            let db = &t.db;
            let mut tx = db.begin().await.expect("begin");
            let mut ids = Vec::new();
            for n in 0..5u8 {
                assert!(
                    take_quota(&mut tx, "a", 10, 4, 1000).await.expect("quota") == (n < 4),
                    "{}",
                    t.label
                );
                if n < 4 {
                    let r = row("a", n);
                    insert(&mut tx, &r).await.expect("insert");
                    ids.push(r.id);
                }
            }
            tx.commit().await.expect("commit");
            assert_eq!(usage(db, "a").await.expect("usage"), (4, 40), "{}", t.label);
            assert_eq!(usage(db, "b").await.expect("usage"), (0, 0));
            let got = get(db, &ids[1]).await.expect("get").expect("exists");
            assert_eq!(got.original_filename, "f1.pdf");
            assert_eq!(got.client_request_id, None);
            assert_eq!(
                by_request(db, "a", "req-2")
                    .await
                    .expect("by")
                    .map(|r| r.id),
                Some(ids[2].clone())
            );
            let page = list(db, "a", None, None, 3).await.expect("list");
            assert_eq!(
                page.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
                vec![ids[3].clone(), ids[2].clone(), ids[1].clone()]
            );
            let rest = list(db, "a", Some("other"), Some(&ids[1]), 3)
                .await
                .expect("list");
            assert_eq!(rest.len(), 1);
            assert!(
                list(db, "a", Some("ownership-deed"), None, 3)
                    .await
                    .expect("list")
                    .is_empty()
            );
            let mut tx = db.begin().await.expect("begin");
            let dup = DocumentRow {
                id: uuid::Uuid::now_v7().to_string(),
                ..row("a", 2)
            };
            let err = insert(&mut tx, &dup)
                .await
                .expect_err("duplicate request id");
            assert!(
                estelam_runtime::db::is_unique_violation(&err),
                "{}: {err}",
                t.label
            );
            drop(tx);
            assert_eq!(
                count_by_hash(db, &format!("{:064x}", 2))
                    .await
                    .expect("count"),
                1
            );
            assert_eq!(referenced_hashes(db).await.expect("hashes").len(), 4);
            t.cleanup().await;
        }
    }
}
