//! Participation in the SAS (requests, decisions, suspension), the national directory of
//! health professionals and e-mail confirmation links, on both backends.

use super::*;
use crate::domain::participation::SasStatus;
use crate::domain::rpps::DirectoryEntry;

conformance!(
    only_an_approved_participation_reaches_the_search,
    a_decision_applies_once,
    the_directory_in_force_is_the_last_finished_import,
    confirmation_links_are_single_use,
);

/// The grid's practitioners of the département with free slots (what the search reads).
async fn in_grid(store: &Store) -> Vec<PractitionerId> {
    let area = SearchArea::Departement("75".into());
    store
        .grid_practitioners(&area, "Médecine générale", false)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect()
}

async fn only_an_approved_participation_reaches_the_search(store: Arc<Store>) {
    let (p, _) = practitioner_with_range(&store, "10000000009", SNP).await;
    let mine = |slots: Vec<CandidateSlot>| {
        slots
            .into_iter()
            .filter(|s| s.practitioner_id == p && visible(s))
            .count()
    };
    let shown = mine(future_slots(&store).await);
    assert!(shown > 0, "an approved practitioner's slots are searchable");
    assert_eq!(in_grid(&store).await, [p]);

    // A regulator books one slot; then the administration suspends the practitioner.
    let regulator = user(&store, "regulateur@demo.test", Role::Regulator, None).await;
    let slot = future_slots(&store).await[0].slot_id;
    let now = Utc::now().timestamp();
    hold_and_book(&store, slot, regulator, "cle-1", now)
        .await
        .unwrap();
    let suspended = store
        .set_participation(
            p,
            &[SasStatus::Approved],
            SasStatus::Suspended,
            Some("Contrôle"),
            now,
        )
        .await
        .unwrap();
    assert!(suspended);
    assert_eq!(
        mine(future_slots(&store).await),
        0,
        "free slots leave at once"
    );
    assert!(in_grid(&store).await.is_empty(), "and the grid follows");
    let profile = store.practitioner_profile(p).await.unwrap().unwrap();
    assert_eq!(
        (
            profile.sas_registered,
            profile.sas_status,
            profile.sas_status_reason.as_deref()
        ),
        (false, SasStatus::Suspended, Some("Contrôle"))
    );
    // The booked appointment stays, and its regulator is the one to tell.
    let told = store.regulators_with_upcoming(p, now).await.unwrap();
    assert_eq!(
        told.iter()
            .map(|r| (r.user_id, r.appointments))
            .collect::<Vec<_>>(),
        [(regulator, 1)]
    );

    // Reinstated: the free slots come back.
    store
        .set_participation(p, &[SasStatus::Suspended], SasStatus::Approved, None, now)
        .await
        .unwrap();
    assert_eq!(mine(future_slots(&store).await), shown - 1);
    assert_eq!(in_grid(&store).await, [p]);
}

async fn a_decision_applies_once(store: Arc<Store>) {
    let p = store
        .insert_practitioner(&practitioner("10000000009", "35", false, true))
        .await
        .unwrap();
    user(&store, "medecin@demo.test", Role::Practitioner, Some(p)).await;
    let requested = [SasStatus::None, SasStatus::Refused];
    assert!(
        store
            .set_participation(p, &requested, SasStatus::Requested, None, 10)
            .await
            .unwrap()
    );
    let lines = store.participations(Some("35")).await.unwrap();
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.practitioner_id, l.sas_status, l.email.as_str()))
            .collect::<Vec<_>>(),
        [(p, SasStatus::Requested, "medecin@demo.test")]
    );
    assert!(store.participations(Some("75")).await.unwrap().is_empty());
    assert_eq!(store.participations(None).await.unwrap().len(), 1);

    // Two administrators decide at once: one decision applies, the other finds nothing to do.
    let (a, b) = tokio::join!(
        store.set_participation(p, &[SasStatus::Requested], SasStatus::Approved, None, 20),
        store.set_participation(
            p,
            &[SasStatus::Requested],
            SasStatus::Refused,
            Some("Non"),
            20
        ),
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()].iter().filter(|x| **x).count(),
        1,
        "exactly one decision applies"
    );
    let record = store.participation(p).await.unwrap().unwrap();
    assert!(matches!(
        record.sas_status,
        SasStatus::Approved | SasStatus::Refused
    ));
    assert_eq!(record.sas_status_at, Some(20));
    assert!(
        !store
            .set_participation(
                PractitionerId(p.0 + 1000),
                &[SasStatus::None],
                SasStatus::Requested,
                None,
                30
            )
            .await
            .unwrap(),
        "no such practitioner"
    );
}

fn entry(rpps: &str, last_name: &str) -> DirectoryEntry {
    DirectoryEntry {
        rpps: rpps.into(),
        civility: "Madame".into(),
        last_name: last_name.into(),
        first_name: "JEANNE".into(),
        profession: "Médecin".into(),
        savoir_faire: "Médecine générale".into(),
        commune: "Rennes".into(),
    }
}

async fn the_directory_in_force_is_the_last_finished_import(store: Arc<Store>) {
    assert_eq!(
        store.rpps_entry("10000000009").await.unwrap(),
        None,
        "no directory yet"
    );
    let first = store.start_rpps_import("a.txt", 1).await.unwrap();
    // A number met twice (one line per activity) keeps its first entry.
    let lines = [
        entry("10000000009", "ROLLAND"),
        entry("10000000009", "AUTRE"),
        entry("10000000017", "MARTIN"),
    ];
    store.insert_rpps_entries(first, &lines).await.unwrap();
    assert_eq!(
        store.rpps_entry("10000000009").await.unwrap(),
        None,
        "not finished: not in force"
    );
    assert_eq!(store.finish_rpps_import(first, 2).await.unwrap(), 2);
    assert_eq!(
        store.rpps_entry("10000000009").await.unwrap(),
        Some(Some(entry("10000000009", "ROLLAND")))
    );
    assert_eq!(store.rpps_entry("19999999998").await.unwrap(), Some(None));

    // A new import replaces the directory once finished, and the old one is deleted.
    let second = store.start_rpps_import("b.txt", 3).await.unwrap();
    store
        .insert_rpps_entries(second, &[entry("10000000017", "MARTIN")])
        .await
        .unwrap();
    assert!(
        store
            .rpps_entry("10000000009")
            .await
            .unwrap()
            .unwrap()
            .is_some()
    );
    assert_eq!(store.finish_rpps_import(second, 4).await.unwrap(), 1);
    assert_eq!(store.rpps_entry("10000000009").await.unwrap(), Some(None));
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rpps_directory")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 1);
}

async fn confirmation_links_are_single_use(store: Arc<Store>) {
    let p = store
        .insert_practitioner(&practitioner("10000000009", "35", false, true))
        .await
        .unwrap();
    let id = store
        .insert_user(&NewUser {
            email: "nouveau@demo.test",
            password_hash: "$argon2id$placeholder",
            role: Role::Practitioner,
            first_name: "Jeanne",
            last_name: "Rolland",
            practitioner_id: Some(p),
            created_at: 100,
            email_verified_at: None,
            departement: None,
        })
        .await
        .unwrap();
    let token = |hash| NewToken {
        token_hash: hash,
        created_at: 100,
        expires_at: 200,
    };
    store.insert_confirm_token(id, &token("old")).await.unwrap();
    store.insert_confirm_token(id, &token("new")).await.unwrap();
    assert!(
        matches!(
            store.confirm_email("new", 250).await,
            Err(StoreError::TokenUnusable)
        ),
        "expired"
    );
    assert!(matches!(
        store.confirm_email("unknown", 150).await,
        Err(StoreError::TokenUnusable)
    ));
    // A confirmation link is not a reset link, and the other way round.
    assert!(matches!(
        store.reset_password("new", 150, "$argon2id$x").await,
        Err(StoreError::TokenUnusable)
    ));
    assert_eq!(store.confirm_email("new", 150).await.unwrap(), id);
    let user = store
        .user_by_email("nouveau@demo.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.email_verified_at, Some(150));
    for used in ["new", "old"] {
        assert!(
            matches!(
                store.confirm_email(used, 160).await,
                Err(StoreError::TokenUnusable)
            ),
            "{used}: every link of the account is used"
        );
    }
}
