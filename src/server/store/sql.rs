//! What the areas share to write SQL: statements built piece by piece, and booleans.

use super::{StoreError, StoreResult};
use sqlx::any::{AnyArguments, AnyRow, AnyTypeInfo, AnyTypeInfoKind};
use sqlx::{Any, Arguments, Decode, Encode, Executor, FromRow, Type, Value, ValueRef};
use std::fmt::Write;

/// A statement built piece by piece (lists of ids, rows to insert, optional filters) with
/// numbered parameters, `$1, $2, …`, which both databases accept. (sqlx's `QueryBuilder`
/// writes `?` through `sqlx::Any`, which PostgreSQL refuses.)
pub(super) struct Sql<'a> {
    text: String,
    args: AnyArguments<'a>,
    params: usize,
}

impl<'a> Sql<'a> {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: AnyArguments::default(),
            params: 0,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Writes the next parameter (`$n`) and binds `value` to it.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        self.params += 1;
        let _ = write!(self.text, "${}", self.params);
        // Encoding into `Any`'s buffer only copies the value: it cannot fail for our types.
        let _ = self.args.add(value);
        self
    }

    /// ` (…)`: a parenthesised list of ids, after `IN`.
    pub fn ids<T>(&mut self, ids: &[T]) -> &mut Self
    where
        T: 'a + Copy + Encode<'a, Any> + Type<Any>,
    {
        self.push(" (");
        for (i, id) in ids.iter().enumerate() {
            self.push(if i == 0 { "" } else { ", " }).bind(*id);
        }
        self.push(")")
    }

    /// ` VALUES (…), (…)`: one parenthesised row per item, its values bound by `row`.
    pub fn values<T>(
        &mut self,
        items: &'a [T],
        row: impl Fn(&mut Row<'_, 'a>, &'a T),
    ) -> &mut Self {
        self.push(" VALUES ");
        for (i, item) in items.iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            row(
                &mut Row {
                    sql: self,
                    first: true,
                },
                item,
            );
            self.push(")");
        }
        self
    }

    pub async fn execute<'e, E: Executor<'e, Database = Any>>(
        self,
        executor: E,
    ) -> StoreResult<u64> {
        let Sql { text, args, .. } = self;
        // Not kept prepared: PostgreSQL would keep the parameter types of the first run, and a
        // multi-row insert whose n-th value was NULL then (typed as a null) and a number now
        // fails (« incorrect binary data format »: the commune list once did not load).
        let done = sqlx::query_with(&text, args)
            .persistent(false)
            .execute(executor)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn fetch_one<'e, T, E>(self, executor: E) -> StoreResult<T>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
        E: Executor<'e, Database = Any>,
    {
        let Sql { text, args, .. } = self;
        Ok(sqlx::query_as_with(&text, args).fetch_one(executor).await?)
    }

    pub async fn fetch_all<'e, T, E>(self, executor: E) -> StoreResult<Vec<T>>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
        E: Executor<'e, Database = Any>,
    {
        let Sql { text, args, .. } = self;
        Ok(sqlx::query_as_with(&text, args).fetch_all(executor).await?)
    }
}

/// The values of one row of `Sql::values`, separated by commas.
pub(super) struct Row<'s, 'a> {
    sql: &'s mut Sql<'a>,
    first: bool,
}

impl<'a> Row<'_, 'a> {
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        if !std::mem::take(&mut self.first) {
            self.sql.push(", ");
        }
        self.sql.bind(value);
        self
    }
}

/// `NotFound` when a statement scoped to a practitioner touched nothing.
pub(super) fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// A boolean column. SQLite has no boolean type: through `sqlx::Any` it answers integers,
/// which `bool` refuses, so records decode their booleans with `#[sqlx(try_from = "Flag")]`,
/// and queries select SQLite's `BOOLEAN` columns as `CAST(… AS INTEGER)` (the `Any` driver
/// cannot read a column declared `BOOLEAN`); PostgreSQL answers either form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

/// A boolean column that may be NULL (`#[sqlx(try_from = "MaybeFlag")]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaybeFlag(pub Option<bool>);

fn boolean_kind(ty: &AnyTypeInfo) -> bool {
    matches!(
        ty.kind(),
        AnyTypeInfoKind::Bool
            | AnyTypeInfoKind::SmallInt
            | AnyTypeInfoKind::Integer
            | AnyTypeInfoKind::BigInt
    )
}

fn decode_boolean(value: sqlx::any::AnyValueRef<'_>) -> Result<bool, sqlx::error::BoxDynError> {
    let owned = ValueRef::to_owned(&value);
    match <bool as Decode<Any>>::decode(owned.as_ref()) {
        Ok(b) => Ok(b),
        Err(_) => Ok(<i64 as Decode<Any>>::decode(owned.as_ref())? != 0),
    }
}

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        boolean_kind(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        decode_boolean(value).map(Flag)
    }
}

impl Type<Any> for MaybeFlag {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        boolean_kind(ty)
    }
}

impl<'r> Decode<'r, Any> for MaybeFlag {
    fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if value.is_null() {
            return Ok(MaybeFlag(None));
        }
        decode_boolean(value).map(|b| MaybeFlag(Some(b)))
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl From<MaybeFlag> for Option<bool> {
    fn from(flag: MaybeFlag) -> Option<bool> {
        flag.0
    }
}
