//! Persistence: one `Store` over SQLite (embedded default) or PostgreSQL (production), through
//! `sqlx::Any`, so that both run the same functions with the same SQL text (`$n` parameters,
//! `RETURNING`, `ON CONFLICT` and partial indexes are accepted by both). The backends differ only
//! in how they connect, migrate and open a write transaction (`connect`, `begin_write`).
//!
//! One file per area, each an `impl Store` block with its records beside it:
//! accounts (users, sessions, throttling), tokens (invitations, reset and confirmation links),
//! participation (SAS requests and decisions, the RPPS directory), agenda
//! (practitioners, reasons, ranges, absences, questions), slots (regeneration, eligibility
//! verdicts, packing), cells (the search grid), search, booking (holds, appointments,
//! attachments), communes (reference data), journal (outbox and audit), invariants (what no
//! load or crash may break).

mod accounts;
mod agenda;
mod appointments;
mod booking;
mod cells;
mod communes;
#[cfg(test)]
pub mod conformance;
mod extra;
mod indicators;
mod invariants;
mod journal;
mod participation;
mod practitioners;
mod retention;
mod search;
mod slots;
mod sql;
mod tokens;

pub use accounts::*;
pub use agenda::*;
pub use appointments::*;
pub use booking::*;
pub use communes::*;
pub use extra::*;
pub use indicators::PastBooking;
pub use invariants::*;
pub use journal::*;
pub use participation::*;
pub use practitioners::*;
pub use search::*;
pub use slots::TOP_UP_BATCH;
pub use tokens::*;

use crate::error::AppError;
use sql::found;
pub use sql::{Flag, MaybeFlag};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "adresse de base de données invalide « {0} » : attendu sqlite://chemin ou postgres://…"
    )]
    BadUrl(String),
    #[error("base de données injoignable : {0}")]
    Unreachable(String),
    #[error("migration impossible : {0}")]
    Migration(String),
    #[error("ce créneau est déjà réservé")]
    SlotTaken,
    #[error("la réservation temporaire du créneau a expiré")]
    HoldExpired,
    #[error("pièce jointe introuvable")]
    UnknownAttachment,
    #[error("ce lien n'est plus utilisable")]
    TokenUnusable,
    #[error("élément introuvable pour ce praticien")]
    NotFound,
    #[error("cette plage chevauche une plage existante : {0}")]
    Overlap(String),
    #[error("motif inconnu ou archivé")]
    UnknownReason,
    /// A unique value already in use.
    #[error("déjà utilisé : {0:?}")]
    Taken(Unique),
    #[error("erreur de base de données : {0}")]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The unique value a refused write found already in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// An account's address.
    Email,
    /// A practitioner registering with the address of a regulator's account.
    RegulatorEmail,
    Rpps,
    /// A booking already made with the same idempotency key.
    IdempotencyKey,
}

/// The one mapping of store refusals to what users read; a service matches a refusal first
/// only when its page words it differently. Any other failure is logged (never its data) and
/// shown as a technical error.
impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::SlotTaken => AppError::SlotTaken,
            StoreError::HoldExpired => AppError::HoldExpired,
            StoreError::TokenUnusable => AppError::LinkInvalid,
            StoreError::NotFound => {
                AppError::NotFound("Cet élément n'existe pas dans votre agenda.".into())
            }
            StoreError::Overlap(other) => AppError::invalid(
                "start",
                format!("Cette plage chevauche une plage existante : {other}."),
            ),
            StoreError::UnknownReason => {
                AppError::invalid("reason_ids", crate::domain::agenda::UNKNOWN_REASON)
            }
            StoreError::UnknownAttachment => AppError::invalid(
                "attachment",
                "La pièce jointe n'est plus disponible : joignez-la de nouveau.",
            ),
            StoreError::Taken(Unique::Email | Unique::RegulatorEmail) => AppError::invalid(
                "email",
                "Un compte existe déjà avec cette adresse électronique.",
            ),
            StoreError::Taken(Unique::Rpps) => {
                AppError::invalid("rpps", "Ce numéro RPPS est déjà inscrit.")
            }
            StoreError::Database(err) if is_busy(&err) => {
                tracing::warn!("database busy: {err}");
                AppError::Busy
            }
            other => crate::server::internal(other),
        }
    }
}

/// Whether a failure only means the database was busy for too long (a lock held by another
/// writer, no free connection): worth trying again in a moment.
fn is_busy(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            // SQLite: SQLITE_BUSY, SQLITE_LOCKED (with extended codes); PostgreSQL: lock not
            // available, serialization failure, deadlock, statement cancelled by a timeout.
            Some("5" | "6" | "261" | "262" | "517" | "55P03" | "40001" | "40P01" | "57014")
        ),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database: a pool of connections to one SQLite file or one PostgreSQL database.
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite: whose turn it is to write (a fair queue); PostgreSQL: none.
    write_turns: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// A write transaction (see `Store::begin_write`), used as the connection it runs on; dropped
/// without `commit`, it rolls back.
pub(super) struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// Opens the database named by `url` (sqlite:… or postgres:…) and brings its schema up to date.
pub async fn connect(url: &str) -> StoreResult<Arc<Store>> {
    Ok(Arc::new(Store::connect(url).await?))
}

impl Store {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            Self {
                pool: sqlite_pool(url).await?,
                backend: Backend::Sqlite,
                write_turns: Some(Arc::default()),
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self {
                pool: postgres_pool(url).await?,
                backend: Backend::Postgres,
                write_turns: None,
            }
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        store
            .migrator()
            .run(&store.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        store.fill_cells().await?;
        Ok(store)
    }

    fn migrator(&self) -> sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        }
    }

    /// Whether the database answers and has every migration of this version applied; the
    /// number of migrations.
    pub async fn ready(&self) -> StoreResult<usize> {
        let expected = self.migrator().iter().count();
        let (applied,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await?;
        if (applied as usize) < expected {
            return Err(StoreError::Migration(format!(
                "{applied} migrations appliquées sur {expected}"
            )));
        }
        Ok(expected)
    }

    /// A consistent copy of a SQLite database into `path` while the server runs (`VACUUM
    /// INTO`: a snapshot, other connections keep writing). PostgreSQL has pg_dump for this.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), String> {
        if self.backend == Backend::Postgres {
            return Err(
                "sur PostgreSQL, la copie se fait avec pg_dump : pg_dump --format=custom \
                 --file=FICHIER \"$DATABASE_URL\" (voir le README)"
                    .into(),
            );
        }
        if path.exists() {
            return Err(format!(
                "{} existe déjà : choisissez un autre fichier",
                path.display()
            ));
        }
        let target = path.to_str().ok_or("chemin de fichier non UTF-8")?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.pool)
            .await
            .map_err(|e| format!("copie impossible : {e}"))?;
        Ok(())
    }

    /// Connections of the pool: open, idle, at most.
    pub fn pool_usage(&self) -> crate::server::metrics::PoolUsage {
        crate::server::metrics::PoolUsage {
            open: self.pool.size(),
            idle: self.pool.num_idle(),
            max: self.pool.options().get_max_connections(),
        }
    }

    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// On SQLite, this process's turn to write (see `begin_write`), for a write outside a
    /// transaction; held until dropped. None on PostgreSQL.
    async fn turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turns {
            Some(turns) => Some(turns.clone().lock_owned().await),
            None => None,
        }
    }

    /// A write transaction. SQLite takes its write lock at once (`BEGIN IMMEDIATE`), so that a
    /// transaction never fails half-way on a lock upgrade, and the process's write transactions
    /// take turns in arrival order (SQLite's own waiting is a poll that a busy background job
    /// may win again and again); PostgreSQL locks rows as it goes.
    async fn begin_write(&self) -> StoreResult<WriteTx> {
        let turn = self.turn().await;
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn })
    }

    /// Refreshes the planner's statistics (and PostgreSQL's visibility map) after a bulk load.
    pub async fn analyze(&self) -> StoreResult<()> {
        // VACUUM also marks pages all-visible, so PostgreSQL can answer from the index alone.
        let sql = match self.backend {
            Backend::Postgres => "VACUUM ANALYZE",
            Backend::Sqlite => "ANALYZE",
        };
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// The pool, for tests that check the schema itself.
    #[cfg(test)]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// One SQLite file in WAL mode, foreign keys on, created with its folder when missing.
async fn sqlite_pool(url: &str) -> StoreResult<AnyPool> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map_err(|_| StoreError::BadUrl(url.to_string()))?;
    if let Some(dir) = options.get_filename().parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Unreachable(format!("{}: {e}", dir.display())))?;
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    let any = AnyConnectOptions::from_str(&format!("{url}{separator}mode=rwc"))
        .map_err(|_| StoreError::BadUrl(url.to_string()))?;
    AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Searches read much of the file: map it rather than copy pages, and cache more.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;
                     PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;",
                )
                .await
                .map(|_| ())
            })
        })
        .connect_with(any)
        .await
        .map_err(|e| StoreError::Unreachable(e.to_string()))
}

async fn postgres_pool(url: &str) -> StoreResult<AnyPool> {
    use sqlx::Connection;
    let options: sqlx::postgres::PgConnectOptions = url
        .parse()
        .map_err(|_| StoreError::BadUrl(url.to_string()))?;
    // One direct attempt first: its error says why (refused, bad password…); a pool only times out.
    let unreachable = |e: sqlx::Error| StoreError::Unreachable(e.to_string());
    sqlx::PgConnection::connect_with(&options)
        .await
        .map_err(unreachable)?
        .close()
        .await
        .map_err(unreachable)?;
    let any = AnyConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(url.to_string()))?;
    AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(any)
        .await
        .map_err(unreachable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{PractitionerId, UserId};

    #[tokio::test]
    async fn bad_urls_and_unreachable_databases_are_explained() {
        let err = |r: StoreResult<Arc<Store>>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err(connect("mysql://localhost/x").await)
                .starts_with("adresse de base de données invalide")
        );
        assert!(
            err(connect("sqlite:///proc/nulle-part/x.db").await)
                .starts_with("base de données injoignable")
        );
        // Port 1 on loopback: nothing listens there.
        let refused = err(connect("postgres://sas@127.0.0.1:1/sas").await);
        assert!(
            refused.starts_with("base de données injoignable"),
            "{refused}"
        );
        assert!(!refused.contains("timed out"), "{refused}");
    }

    /// 0002 rebuilds `users` on SQLite: a database filled under 0001 keeps its accounts, their
    /// sessions and every reference to them.
    #[tokio::test]
    async fn accounts_migration_keeps_existing_data() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let mut first = sqlx::migrate!("./migrations/sqlite");
        first.migrations = first.migrations.iter().take(1).cloned().collect();
        first.run(&pool).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO practitioners (id, rpps, civility, first_name, last_name, specialty, address,
                 postcode, city, insee_code, departement, latitude, longitude)
             VALUES (1, '10000000009', 'Mme', 'A', 'B', 'MG', 'rue', '75004', 'Paris', '75104', '75', 0, 0);
             INSERT INTO users (id, email, password_hash, role, first_name, last_name, practitioner_id, created_at)
             VALUES (7, 'r@demo.test', 'h', 'regulator', 'R', 'S', NULL, 1),
                    (8, 'p@demo.test', 'h', 'practitioner', 'A', 'B', 1, 1);
             INSERT INTO sessions VALUES ('s', 7, 1, 9999999999);
             INSERT INTO slots (id, practitioner_id, starts_at, ends_at, mode) VALUES (1, 1, 10, 20, 'cabinet');
             INSERT INTO patients (id, first_name, last_name, birth_name, birth_date, phone, created_at)
             VALUES (1, 'P', 'Q', 'Q', '1950-01-01', '+33600000000', 1);
             INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at, mode, status, created_at)
             VALUES (1, 1, 7, 1, 10, 'cabinet', 'booked', 1);
             INSERT INTO audit_log (at, user_id, action, subject) VALUES (1, 7, 'sign_in', 'account');",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let store = Store::connect(&url).await.expect("migrated");
        let user = store
            .session_user("s", 2)
            .await
            .unwrap()
            .expect("session kept");
        assert_eq!(
            (user.id, user.email.as_str(), user.disabled),
            (UserId(7), "r@demo.test", false)
        );
        let practitioner = store.user_by_email("p@demo.test").await.unwrap().unwrap();
        assert_eq!(practitioner.practitioner_id, Some(PractitionerId(1)));
        assert_eq!(
            store
                .practitioner_appointments(PractitionerId(1))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store.audit_log(5).await.unwrap()[0].user_email.as_deref(),
            Some("r@demo.test")
        );
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }
}
