//! The indicators of the SAS's activity: which département an account sees, and the figures of
//! a period (for the page and its CSV export, `server::indicators_csv`).

use crate::domain::Role;
use crate::domain::agenda::paris_today;
use crate::domain::indicators::{Indicators, IndicatorsFilter, IndicatorsPage, IndicatorsQuery};
use crate::error::AppError;
use crate::server::now_utc;
use crate::server::store::{Store, UserRecord};

/// The page: the figures of the filters, or their field messages.
pub async fn page(
    store: &Store,
    user: &UserRecord,
    query: &IndicatorsQuery,
) -> Result<IndicatorsPage, AppError> {
    let own = own_departement(store, user).await?;
    let may_choose_departement = own.is_none();
    let (errors, figures) = match figures(store, own, query).await {
        Ok(figures) => (Vec::new(), Some(figures)),
        Err(AppError::Invalid(errors)) => (errors, None),
        Err(error) => return Err(error),
    };
    Ok(IndicatorsPage {
        may_choose_departement,
        errors,
        figures,
    })
}

/// The figures of the filters, within what `user` may see (`Invalid` for refused filters).
pub async fn indicators(
    store: &Store,
    user: &UserRecord,
    query: &IndicatorsQuery,
) -> Result<Indicators, AppError> {
    let own = own_departement(store, user).await?;
    figures(store, own, query).await
}

async fn figures(
    store: &Store,
    own: Option<String>,
    query: &IndicatorsQuery,
) -> Result<Indicators, AppError> {
    let mut filter: IndicatorsFilter = query
        .parse(paris_today(now_utc()))
        .map_err(AppError::Invalid)?;
    if let Some(own) = own {
        // Another département in the address is not theirs to see.
        if filter
            .departement
            .as_ref()
            .is_some_and(|asked| *asked != own)
        {
            return Err(AppError::Forbidden);
        }
        filter.departement = Some(own);
    }
    let scope = filter.departement.as_ref().map_or_else(
        || "tous les départements".into(),
        |d| format!("département {d}"),
    );
    let data = store.indicator_aggregates(&filter).await?;
    Ok(Indicators::from_aggregates(&filter, scope, data))
}

/// The département an account is limited to: `None` for a national administrator. A regulator
/// sees the département the SAS platform created them in; without one, nothing.
async fn own_departement(store: &Store, user: &UserRecord) -> Result<Option<String>, AppError> {
    match user.role {
        Role::Admin => Ok(user.departement.clone()),
        Role::Regulator => match store.regulator_departement(user.id).await? {
            Some(departement) => Ok(Some(departement)),
            None => Err(AppError::Forbidden),
        },
        Role::Practitioner | Role::Other => Err(AppError::Forbidden),
    }
}
