//! PostgreSQL backend: the production database. Concurrent bookings are settled by the
//! unique index on active appointments, which refuses the second one.

use super::sql::*;
use super::*;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};
use std::time::Duration;

pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|_| StoreError::BadUrl(url.to_string()))?;
        // One direct attempt first: its error says why (refused, bad password…); a pool only times out.
        let unreachable = |e: sqlx::Error| StoreError::Unreachable(e.to_string());
        PgConnection::connect_with(&options)
            .await
            .map_err(unreachable)?
            .close()
            .await
            .map_err(unreachable)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unreachable(e.to_string()))?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        fill_cells!(pool.begin().await?);
        Ok(Self { pool })
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}

impl_store!(PgStore, "postgres");
