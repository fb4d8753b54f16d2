//! Accounts, sessions, invitations and reset links, sign-in throttling, the outbox and the
//! audit log, on both backends.

use super::*;

conformance!(
    accounts_and_sessions,
    emails_are_unique,
    invitations_are_single_use_and_expire,
    pending_invitations_are_renewed_or_revoked,
    password_reset_uses_its_link_once_and_closes_sessions,
    disabled_accounts_lose_their_sessions,
    attempts_are_counted_per_key_within_the_window,
    parallel_attempts_each_get_their_own_count,
    expired_sessions_devices_and_windows_are_purged,
    outbox_and_audit_log_list_newest_first,
    registration_is_one_transaction,
    the_audit_log_is_a_hash_chain,
    a_null_then_a_number_in_the_same_statement,
);

async fn accounts_and_sessions(store: Arc<Store>) {
    let id = user(
        store.as_ref(),
        "regulateur@demo.test",
        Role::Regulator,
        None,
    )
    .await;
    let found = store
        .user_by_email("regulateur@demo.test")
        .await
        .unwrap()
        .expect("user found");
    assert_eq!((found.id, found.role), (id, Role::Regulator));
    assert!(
        store
            .user_by_email("personne@demo.test")
            .await
            .unwrap()
            .is_none()
    );

    store.insert_session("hash-1", id, 100, 200).await.unwrap();
    assert_eq!(
        store
            .session_user("hash-1", 150)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(id)
    );
    assert!(
        store.session_user("hash-1", 200).await.unwrap().is_none(),
        "expired session"
    );
    assert!(store.session_user("other", 150).await.unwrap().is_none());
    store.delete_session("hash-1").await.unwrap();
    assert!(
        store.session_user("hash-1", 150).await.unwrap().is_none(),
        "signed out"
    );
}

async fn emails_are_unique(store: Arc<Store>) {
    user(store.as_ref(), "a@demo.test", Role::Regulator, None).await;
    let again = store
        .insert_user(&NewUser {
            email: "a@demo.test",
            password_hash: "x",
            role: Role::Admin,
            first_name: "A",
            last_name: "B",
            practitioner_id: None,
            created_at: 0,
            email_verified_at: Some(0),
            departement: None,
        })
        .await;
    assert!(again.is_err());
    // A practitioner account must point at its practitioner, and only it.
    let bad = store
        .insert_user(&NewUser {
            email: "b@demo.test",
            password_hash: "x",
            role: Role::Practitioner,
            first_name: "A",
            last_name: "B",
            practitioner_id: None,
            created_at: 0,
            email_verified_at: Some(0),
            departement: None,
        })
        .await;
    assert!(bad.is_err());
}

fn regulator<'a>(email: &'a str) -> NewRegulator<'a> {
    NewRegulator {
        civility: Some("Mme"),
        first_name: "Claire",
        last_name: "Morel",
        email,
        departement: "75",
        invited_by: None,
        invited_at: 1_000,
    }
}

fn token(hash: &str, expires_at: i64) -> NewToken<'_> {
    NewToken {
        token_hash: hash,
        created_at: 1_000,
        expires_at,
    }
}

fn account(email: &str, role: Role) -> NewAccount<'_> {
    NewAccount {
        email,
        password_hash: "$argon2id$placeholder",
        role,
        profession: if role == Role::Regulator {
            "Régulateur"
        } else {
            "Médecin"
        },
        created_at: 1_500,
    }
}

fn is_unusable<T: std::fmt::Debug>(result: StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::TokenUnusable))
}

async fn invitations_are_single_use_and_expire(store: Arc<Store>) {
    let id = store
        .insert_regulator(&regulator("claire@sas.test"), &token("t1", 2_000))
        .await
        .unwrap();
    let again = store
        .insert_regulator(&regulator("claire@sas.test"), &token("t2", 2_000))
        .await;
    assert!(
        matches!(again, Err(StoreError::Taken(Unique::Email))),
        "one open invitation per address"
    );
    let link = store.account_token("t1").await.unwrap().expect("token");
    assert_eq!(
        (link.purpose.as_str(), link.regulator_id, link.used_at),
        ("invitation", Some(id), None)
    );
    assert!(store.account_token("unknown").await.unwrap().is_none());

    // An address already taken leaves the link unused.
    user(store.as_ref(), "pris@sas.test", Role::Admin, None).await;
    let taken = store
        .accept_invitation("t1", 1_500, &account("pris@sas.test", Role::Regulator))
        .await;
    assert!(matches!(taken, Err(StoreError::Taken(Unique::Email))));
    assert!(
        store
            .account_token("t1")
            .await
            .unwrap()
            .unwrap()
            .used_at
            .is_none()
    );

    assert!(
        is_unusable(
            store
                .accept_invitation("t1", 2_000, &account("c@sas.test", Role::Regulator))
                .await
        ),
        "expired"
    );
    let user_id = store
        .accept_invitation("t1", 1_500, &account("c@sas.test", Role::Regulator))
        .await
        .unwrap();
    assert!(
        is_unusable(
            store
                .accept_invitation("t1", 1_600, &account("d@sas.test", Role::Regulator))
                .await
        ),
        "used"
    );
    assert_eq!(
        store.account_token("t1").await.unwrap().unwrap().used_at,
        Some(1_500)
    );
    let created = store
        .user_by_email("c@sas.test")
        .await
        .unwrap()
        .expect("account");
    assert_eq!(
        (created.id, created.role, created.first_name.as_str()),
        (user_id, Role::Regulator, "Claire")
    );
    assert_eq!(created.profession.as_deref(), Some("Régulateur"));
    let record = store.regulator(id).await.unwrap().expect("regulator");
    assert_eq!(record.user_id, Some(user_id));
    assert_eq!(record.account_email.as_deref(), Some("c@sas.test"));
    assert_eq!(record.account_role.as_deref(), Some("regulator"));

    // Another profession gives an account without the regulator role.
    store
        .insert_regulator(&regulator("autre@sas.test"), &token("t3", 2_000))
        .await
        .unwrap();
    let other_id = store
        .accept_invitation("t3", 1_500, &account("autre@sas.test", Role::Other))
        .await
        .unwrap();
    let other = store
        .user_by_email("autre@sas.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((other.id, other.role), (other_id, Role::Other));
    assert_eq!(store.regulators().await.unwrap().len(), 2);
}

async fn pending_invitations_are_renewed_or_revoked(store: Arc<Store>) {
    let id = store
        .insert_regulator(&regulator("r@sas.test"), &token("old", 2_000))
        .await
        .unwrap();
    assert!(
        store
            .renew_invitation(id, &token("new", 5_000))
            .await
            .unwrap()
    );
    assert!(
        store.account_token("old").await.unwrap().is_none(),
        "the old link is replaced"
    );
    assert_eq!(
        store
            .regulator(id)
            .await
            .unwrap()
            .unwrap()
            .invitation_expires_at,
        Some(5_000)
    );
    assert!(store.revoke_invitation(id, 1_200).await.unwrap());
    assert!(
        !store.revoke_invitation(id, 1_300).await.unwrap(),
        "already revoked"
    );
    assert!(store.account_token("new").await.unwrap().is_none());
    assert!(is_unusable(
        store
            .accept_invitation("new", 1_500, &account("r@sas.test", Role::Regulator))
            .await
    ));
    assert!(
        !store
            .renew_invitation(id, &token("newer", 5_000))
            .await
            .unwrap()
    );
    let record = store.regulator(id).await.unwrap().unwrap();
    assert_eq!(
        (record.revoked_at, record.invitation_expires_at),
        (Some(1_200), None)
    );
    // A revoked address may be invited again; an accepted invitation cannot be renewed.
    let second = store
        .insert_regulator(&regulator("r@sas.test"), &token("t", 5_000))
        .await
        .unwrap();
    store
        .accept_invitation("t", 1_500, &account("r@sas.test", Role::Regulator))
        .await
        .unwrap();
    assert!(
        !store
            .renew_invitation(second, &token("t2", 5_000))
            .await
            .unwrap()
    );
    assert!(!store.revoke_invitation(second, 1_600).await.unwrap());
    assert!(store.regulator(InvitationId(999)).await.unwrap().is_none());
}

async fn password_reset_uses_its_link_once_and_closes_sessions(store: Arc<Store>) {
    let id = user(store.as_ref(), "u@sas.test", Role::Regulator, None).await;
    store.insert_session("s", id, 1_000, 9_000).await.unwrap();
    store
        .insert_reset_token(id, &token("r1", 2_000))
        .await
        .unwrap();
    store
        .insert_reset_token(id, &token("r2", 2_000))
        .await
        .unwrap();
    assert_eq!(
        store.account_token("r1").await.unwrap().unwrap().user_id,
        Some(id)
    );
    assert!(
        is_unusable(store.reset_password("r1", 2_000, "h").await),
        "expired"
    );
    assert_eq!(
        store.reset_password("r1", 1_500, "new-hash").await.unwrap(),
        id
    );
    assert_eq!(
        store
            .user_by_email("u@sas.test")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    assert!(
        store.session_user("s", 1_600).await.unwrap().is_none(),
        "sessions closed"
    );
    assert!(
        is_unusable(store.reset_password("r1", 1_600, "h").await),
        "used"
    );
    assert!(
        is_unusable(store.reset_password("r2", 1_600, "h").await),
        "the other links are used up"
    );
    // An invitation link is no reset link.
    store
        .insert_regulator(&regulator("x@sas.test"), &token("inv", 2_000))
        .await
        .unwrap();
    assert!(is_unusable(store.reset_password("inv", 1_500, "h").await));
}

async fn disabled_accounts_lose_their_sessions(store: Arc<Store>) {
    let id = user(store.as_ref(), "u@sas.test", Role::Regulator, None).await;
    store.insert_session("s", id, 1_000, 9_000).await.unwrap();
    store
        .insert_reset_token(id, &token("r", 2_000))
        .await
        .unwrap();
    assert!(store.disable_user(id).await.unwrap());
    assert!(!store.disable_user(id).await.unwrap(), "already disabled");
    assert!(
        store
            .user_by_email("u@sas.test")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(store.session_user("s", 1_500).await.unwrap().is_none());
    store.insert_session("s2", id, 1_000, 9_000).await.unwrap();
    assert!(
        store.session_user("s2", 1_500).await.unwrap().is_none(),
        "no session for a disabled account"
    );
    assert!(
        is_unusable(store.reset_password("r", 1_500, "h").await),
        "no reset either"
    );
}

async fn attempts_are_counted_per_key_within_the_window(store: Arc<Store>) {
    for at in [100, 200, 300] {
        store.record_attempt(&["a", "ip"], at, 0).await.unwrap();
    }
    store.record_attempt(&["b", "ip"], 400, 0).await.unwrap();
    assert_eq!(store.attempts("a", 0).await.unwrap(), 3);
    assert_eq!(store.attempts("a", 200).await.unwrap(), 2);
    assert_eq!(store.attempts("ip", 0).await.unwrap(), 4);
    assert_eq!(store.attempts("c", 0).await.unwrap(), 0);
    // Old attempts are forgotten when new ones come.
    store.record_attempt(&["ip"], 500, 350).await.unwrap();
    assert_eq!(store.attempts("ip", 0).await.unwrap(), 2);
}

async fn parallel_attempts_each_get_their_own_count(store: Arc<Store>) {
    let claims: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_attempt("k", 1_000, 900).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for claim in claims {
        counts.push(claim.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=40).collect::<Vec<i64>>());
    // Within the window the count goes on; once it has passed, it starts again.
    assert_eq!(store.claim_attempt("k", 1_899, 900).await.unwrap(), 41);
    assert_eq!(store.claim_attempt("k", 1_900, 900).await.unwrap(), 1);
    assert_eq!(store.claim_attempt("other", 1_900, 900).await.unwrap(), 1);
    store.forget_attempts("k").await.unwrap();
    assert_eq!(store.claim_attempt("k", 1_901, 900).await.unwrap(), 1);
}

async fn expired_sessions_devices_and_windows_are_purged(store: Arc<Store>) {
    let user = user(&store, "r@sas.test", Role::Regulator, None).await;
    store.insert_session("old", user, 0, 100).await.unwrap();
    store.insert_session("live", user, 0, 10_000).await.unwrap();
    store.insert_session("idle", user, 0, 10_000).await.unwrap();
    store.touch_session("idle", 4_000).await.unwrap();
    // Used again 30 s later: the deadline stays (no write for less than a minute)…
    store.touch_session("idle", 4_030).await.unwrap();
    assert!(store.session_user("idle", 4_010).await.unwrap().is_none());
    store.insert_session("used", user, 0, 10_000).await.unwrap();
    store.touch_session("used", 4_000).await.unwrap();
    // …a minute or more later it moves.
    store.touch_session("used", 6_000).await.unwrap();
    store.trust_device("gone", user, 100).await.unwrap();
    store.trust_device("kept", user, 10_000).await.unwrap();
    store.claim_attempt("stale", 100, 900).await.unwrap();
    store.claim_attempt("fresh", 4_000, 900).await.unwrap();
    // More ended windows than one purge statement deletes: purged all the same, in batches.
    for n in 0..2_500 {
        store
            .claim_attempt(&format!("ended-{n}"), 100, 900)
            .await
            .unwrap();
    }
    assert_eq!(store.purge_expired(5_000, 3_600).await.unwrap(), 4 + 2_500);
    assert!(store.session_user("used", 5_500).await.unwrap().is_some());
    assert!(store.session_user("old", 200).await.unwrap().is_none());
    assert!(store.session_user("live", 5_000).await.unwrap().is_some());
    assert_eq!(
        store.trusted_device("kept", 5_000).await.unwrap(),
        Some(user)
    );
    assert_eq!(store.trusted_device("gone", 50).await.unwrap(), None);
    assert_eq!(store.claim_attempt("fresh", 4_100, 900).await.unwrap(), 2);
}

async fn outbox_and_audit_log_list_newest_first(store: Arc<Store>) {
    for subject in ["premier", "second"] {
        store
            .queue_mail(&OutboxMail {
                created_at: 1_000,
                recipient: "r@sas.test",
                subject,
                body: "Bonjour",
            })
            .await
            .unwrap();
    }
    let mails = store.outbox(10).await.unwrap();
    assert_eq!(
        mails.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(),
        ["second", "premier"]
    );
    assert_eq!(store.outbox(1).await.unwrap().len(), 1);
    let id = user(store.as_ref(), "u@sas.test", Role::Admin, None).await;
    for (user_id, action) in [(Some(id), "sign_in"), (None, "sign_in_failed")] {
        store
            .audit(&AuditEntry {
                at: 1_000,
                user_id,
                action,
                subject: "account",
                ip: Some("127.0.0.1"),
            })
            .await
            .unwrap();
    }
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log[0].action, "sign_in_failed");
    assert_eq!(log[1].user_email.as_deref(), Some("u@sas.test"));
    assert_eq!(log[1].ip.as_deref(), Some("127.0.0.1"));
}

// ---- The practitioner's agenda, on fixed dates of 2027 (DST changes on 28 March and 31 October).

async fn registration_is_one_transaction(store: Arc<Store>) {
    let store = store.as_ref();
    user(store, "regulation@demo.test", Role::Regulator, None).await;
    let account = |email| NewUser {
        email,
        password_hash: "$argon2id$placeholder",
        role: Role::Practitioner,
        first_name: "Sophie",
        last_name: "Martin",
        practitioner_id: None,
        created_at: 0,
        email_verified_at: Some(0),
        departement: None,
    };
    let id = store
        .register_practitioner(
            &practitioner("10000000009", "75", false, false),
            &account("sophie@exemple.fr"),
        )
        .await
        .unwrap();
    let user = store
        .user_by_email("sophie@exemple.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.id, user.role), (id, Role::Practitioner));
    let practitioner_id = user.practitioner_id.expect("linked to the practitioner");
    assert!(
        store
            .practitioner_profile(practitioner_id)
            .await
            .unwrap()
            .is_some()
    );

    for (rpps, email, field) in [
        ("10000000108", "sophie@exemple.fr", Unique::Email),
        (
            "10000000108",
            "regulation@demo.test",
            Unique::RegulatorEmail,
        ),
        ("10000000009", "autre@exemple.fr", Unique::Rpps),
    ] {
        let refused = store
            .register_practitioner(&practitioner(rpps, "75", false, false), &account(email))
            .await;
        assert!(
            matches!(refused, Err(StoreError::Taken(f)) if f == field),
            "{field:?}: {refused:?}"
        );
    }
    assert!(
        store
            .user_by_email("autre@exemple.fr")
            .await
            .unwrap()
            .is_none()
    );
    // Nothing half-written: the RPPS refused above is still free.
    store
        .register_practitioner(
            &practitioner("10000000108", "75", false, false),
            &account("autre@exemple.fr"),
        )
        .await
        .unwrap();
}

async fn the_audit_log_is_a_hash_chain(store: Arc<Store>) {
    let entry = |subject: &'static str| AuditEntry {
        at: 100,
        user_id: None,
        action: "sign_in",
        subject,
        ip: Some("127.0.0.1"),
    };
    for subject in ["a", "b", "c"] {
        store.audit(&entry(subject)).await.unwrap();
    }
    // Writers in parallel still make one chain.
    let parallel = entry("parallel");
    let writes = (0..20).map(|_| store.audit(&parallel));
    for written in futures_util::future::join_all(writes).await {
        written.unwrap();
    }
    let verdict = store.verify_audit().await.unwrap();
    assert_eq!((verdict.chained, verdict.first_broken), (23, None));
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM audit_log ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();

    // Someone with database access edits an entry: verify names it.
    sqlx::query("UPDATE audit_log SET subject = 'autre' WHERE id = $1")
        .bind(ids[1].0)
        .execute(store.pool())
        .await
        .unwrap();
    let verdict = store.verify_audit().await.unwrap();
    assert_eq!(verdict.chained, 1);
    assert_eq!(
        verdict.first_broken,
        Some((ids[1].0, "le contenu de l'entrée a été modifié"))
    );
    sqlx::query("UPDATE audit_log SET subject = 'b' WHERE id = $1")
        .bind(ids[1].0)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.verify_audit().await.unwrap().first_broken, None);

    // Deleting an entry breaks the chain at the next one.
    sqlx::query("DELETE FROM audit_log WHERE id = $1")
        .bind(ids[5].0)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(
        store.verify_audit().await.unwrap().first_broken,
        Some((ids[6].0, "l'entrée précédente a été modifiée ou supprimée"))
    );
}

/// One statement run with a NULL number, then with a number (the same SQL text): PostgreSQL
/// must not keep the first run's parameter types.
async fn a_null_then_a_number_in_the_same_statement(store: Arc<Store>) {
    for (i, verified) in [None, Some(5), None, Some(7)].into_iter().enumerate() {
        let email = format!("compte{i}@demo.test");
        store
            .insert_user(&NewUser {
                email: &email,
                password_hash: "$argon2id$placeholder",
                role: Role::Admin,
                first_name: "Claire",
                last_name: "Morel",
                practitioner_id: None,
                created_at: 1,
                email_verified_at: verified,
                departement: None,
            })
            .await
            .unwrap();
        let user = store.user_by_email(&email).await.unwrap().unwrap();
        assert_eq!(user.email_verified_at, verified);
    }
}
