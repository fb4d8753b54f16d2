//! The administrators' journal on both backends: the audit log filtered by period (Paris days),
//! account, action and appointment, counted, and read by page or by batch.

use super::*;
use crate::domain::admin::JournalQuery;

conformance!(
    the_journal_filters_by_paris_days_account_and_action,
    the_journal_finds_an_appointment_and_its_attachments,
    the_journal_pages_newest_first_and_counts,
);

async fn write(store: &Store, at: i64, user_id: Option<UserId>, action: &str, subject: &str) {
    let entry = AuditEntry {
        at,
        user_id,
        action,
        subject,
        ip: Some("127.0.0.1"),
    };
    store.audit(&entry).await.expect("audit entry");
}

/// The subjects of the entries the journal's query matches, newest first; the count agrees.
async fn subjects(store: &Store, pairs: &[(&str, &str)]) -> Vec<String> {
    let filter = JournalQuery::from_pairs(pairs.iter().copied())
        .parse()
        .expect("valid filters");
    let page = store.audit_page(&filter, 0, 1_000).await.unwrap();
    assert_eq!(
        store.audit_count(&filter).await.unwrap(),
        page.len() as u64,
        "{pairs:?}"
    );
    page.into_iter().map(|e| e.subject).collect()
}

/// Unix seconds of a Paris wall-clock time.
fn paris(day: (i32, u32, u32), h: u32, m: u32, s: u32) -> i64 {
    let day = NaiveDate::from_ymd_opt(day.0, day.1, day.2).unwrap();
    paris_instant(day, NaiveTime::from_hms_opt(h, m, s).unwrap())
        .unwrap()
        .timestamp()
}

async fn the_journal_filters_by_paris_days_account_and_action(store: Arc<Store>) {
    let store = store.as_ref();
    let admin = user(store, "admin@sas.test", Role::Admin, None).await;
    // Stored with capitals: the account filter ignores case.
    let regulator = user(store, "Regulateur@SAS.test", Role::Regulator, None).await;
    // Around 28 March 2021, a 23-hour day in Paris (summer time from 02:00).
    let (d27, d28, d29) = ((2021, 3, 27), (2021, 3, 28), (2021, 3, 29));
    for (at, who, action, subject) in [
        (paris(d27, 0, 0, 0), Some(admin), "sign_in", "t0"),
        (paris(d27, 23, 59, 59), Some(regulator), "sign_in", "t1"),
        (
            paris(d28, 0, 0, 0),
            Some(regulator),
            "patient_data_read",
            "t2",
        ),
        (paris(d28, 23, 59, 59), None, "sign_in_failed", "t3"),
        (paris(d29, 0, 0, 0), Some(admin), "sign_in", "t4"),
    ] {
        write(store, at, who, action, subject).await;
    }
    let day = [("du", "2021-03-28"), ("au", "2021-03-28")];
    assert_eq!(subjects(store, &day).await, ["t3", "t2"]);
    assert_eq!(subjects(store, &[("au", "2021-03-27")]).await, ["t1", "t0"]);
    assert_eq!(subjects(store, &[("du", "2021-03-29")]).await, ["t4"]);
    let both = [("du", "2021-03-27"), ("au", "2021-03-28")];
    assert_eq!(subjects(store, &both).await, ["t3", "t2", "t1", "t0"]);
    assert_eq!(subjects(store, &[("du", "2021-03-30")]).await, [""; 0]);

    let account = [("compte", "regulateur@sas.test")];
    assert_eq!(subjects(store, &account).await, ["t2", "t1"]);
    let nobody = [("compte", "personne@sas.test")];
    assert_eq!(subjects(store, &nobody).await, [""; 0]);
    assert_eq!(
        subjects(store, &[("action", "sign_in")]).await,
        ["t4", "t1", "t0"]
    );
    let combined = [
        ("compte", "ADMIN@sas.test"),
        ("action", "sign_in"),
        ("au", "2021-03-28"),
    ];
    assert_eq!(subjects(store, &combined).await, ["t0"]);
    assert_eq!(subjects(store, &[]).await.len(), 5);
}

async fn the_journal_finds_an_appointment_and_its_attachments(store: Arc<Store>) {
    let store = store.as_ref();
    practitioner_with_range(store, "10000000009", SNP).await;
    let regulator = user(store, "r@demo.test", Role::Regulator, None).await;
    let slot = future_slots(store).await.into_iter().find(visible).unwrap();
    let now = Utc::now().timestamp();
    let booked = hold_and_book(store, slot.slot_id, regulator, "form-1", now)
        .await
        .expect("booked");
    let (attachment,): (i64,) = sqlx::query_as(
        "INSERT INTO attachments (token, regulator_id, appointment_id, file_name, content_type,
             size_bytes, created_at)
         VALUES ('jeton', $1, $2, 'ordonnance.pdf', 'application/pdf', 10, $3) RETURNING id",
    )
    .bind(regulator)
    .bind(booked.id)
    .bind(now)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let id = booked.id;
    for (action, subject) in [
        ("patient_data_read", format!("appointment:{id}")),
        ("attachment_read", format!("attachment:{attachment}")),
        // Other appointments and files, whose numbers start the same.
        ("patient_data_read", format!("appointment:{id}0")),
        ("attachment_read", format!("attachment:{attachment}0")),
        (
            "patient_data_read",
            format!("appointments:regulator:{regulator}"),
        ),
    ] {
        write(store, now + 1, Some(regulator), action, &subject).await;
    }
    let number = id.to_string();
    assert_eq!(
        subjects(store, &[("rdv", &number)]).await,
        [
            format!("attachment:{attachment}"),
            format!("appointment:{id}"),
            format!("appointment:{id}"),
        ]
    );
    let read = [("rdv", number.as_str()), ("action", "appointment_created")];
    assert_eq!(subjects(store, &read).await, [format!("appointment:{id}")]);
    assert_eq!(subjects(store, &[("rdv", "999999")]).await, [""; 0]);
}

async fn the_journal_pages_newest_first_and_counts(store: Arc<Store>) {
    let store = store.as_ref();
    for i in 0..120 {
        let action = if i % 3 == 0 {
            "sign_in_failed"
        } else {
            "sign_in"
        };
        write(store, 1_000 + i, None, action, &format!("e{i}")).await;
    }
    let all = JournalQuery::default().parse().unwrap();
    assert_eq!(store.audit_count(&all).await.unwrap(), 120);
    let names = |page: Vec<AuditRecord>| page.into_iter().map(|e| e.subject).collect::<Vec<_>>();
    let first = store.audit_page(&all, 0, 50).await.unwrap();
    assert_eq!(first.len(), 50);
    assert_eq!(
        (first[0].subject.as_str(), first[49].subject.as_str()),
        ("e119", "e70")
    );
    assert!(first.windows(2).all(|w| w[0].id > w[1].id));
    assert!(
        first
            .iter()
            .all(|e| e.hash.as_ref().is_some_and(|h| h.len() == 64))
    );
    let last = names(store.audit_page(&all, 100, 50).await.unwrap());
    assert_eq!(last.len(), 20);
    assert_eq!((last[0].as_str(), last[19].as_str()), ("e19", "e0"));
    assert!(store.audit_page(&all, 150, 50).await.unwrap().is_empty());
    // Keyset batches (the CSV export) give the same order as the pages.
    let below = names(store.audit_below(&all, first[49].id, 50).await.unwrap());
    assert_eq!(below, names(store.audit_page(&all, 50, 50).await.unwrap()));

    let failed = JournalQuery::from_pairs([("action", "sign_in_failed")])
        .parse()
        .unwrap();
    assert_eq!(store.audit_count(&failed).await.unwrap(), 40);
    let page = names(store.audit_page(&failed, 0, 50).await.unwrap());
    assert_eq!(page.len(), 40);
    assert_eq!((page[0].as_str(), page[39].as_str()), ("e117", "e0"));
    let second = names(store.audit_page(&failed, 30, 30).await.unwrap());
    assert_eq!(second, &page[30..]);
}
