//! `GET /indicateurs.csv`: the figures of the indicators page for the same filters, as CSV
//! (RFC 4180, UTF-8, fields defused and quoted like the journal's export), one line a figure:
//! indicateur, libellé, valeur, part. Administrators and regulators, within the département
//! they may see, like the page's server function; each export is audited.

use super::journal_csv::{csv_record, refuse, refused_filters};
use super::services::indicators;
use super::{AppState, auth};
use crate::domain::indicators::{Count, Indicators, IndicatorsQuery, Share, delay_fr};
use crate::error::AppError;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use crate::domain::indicators::INDICATORS_CSV_PATH as PATH;

const HEADER: &str = "indicateur,libellé,valeur,part\r\n";

/// The CSV of the filters in the query, to a signed-in administrator or regulator.
pub async fn export(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let store = state.store.as_ref();
    let user = match auth::signed_in(store, &parts).await {
        Ok(user) => user,
        Err(error) => return refuse(error),
    };
    let pairs = auth::query_pairs(&parts);
    let query = IndicatorsQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let figures = match indicators::indicators(store, &user, &query).await {
        Ok(figures) => figures,
        Err(AppError::Invalid(errors)) => return refused_filters(&errors),
        Err(error) => return refuse(error),
    };
    // No export without its audit entry.
    let subject = format!("indicateurs?{}", query.filters());
    let ip = auth::ip_of(&parts);
    let audited = auth::record_audit(
        store,
        Some(user.id),
        "indicators_export",
        &subject,
        ip.as_deref(),
    );
    if let Err(error) = audited.await {
        return refuse(error);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"indicateurs-sas.csv\"",
            ),
        ],
        csv(&figures),
    )
        .into_response()
}

/// Every figure of the page, one a line.
pub fn csv(f: &Indicators) -> String {
    let mut out = String::from(HEADER);
    let mut line = |fields: &[&str]| out.push_str(&csv_record(fields));
    line(&["Période", &f.period, "", ""]);
    line(&["Périmètre", &f.scope, "", ""]);
    line(&["Rendez-vous pris", "total", &f.total.to_string(), ""]);
    let counts = |line: &mut dyn FnMut(&[&str]), name: &str, counts: &[Count]| {
        for c in counts {
            line(&[name, &c.key, &c.count.to_string(), ""]);
        }
    };
    counts(&mut line, "Rendez-vous pris par jour", &f.days);
    counts(
        &mut line,
        "Rendez-vous pris par département",
        &f.departements,
    );
    let shares = |line: &mut dyn FnMut(&[&str]), name: &str, shares: &[Share]| {
        for s in shares {
            line(&[name, &s.label, &s.count.to_string(), &s.percent]);
        }
    };
    shares(&mut line, "Type de créneau", &f.kinds);
    shares(&mut line, "Issue", &f.outcomes);
    for (label, minutes) in [("médiane", f.delay_median), ("90e centile", f.delay_p90)] {
        if let Some(minutes) = minutes {
            let label = format!("{label} ({})", delay_fr(minutes));
            line(&[
                "Délai avant le rendez-vous (minutes)",
                &label,
                &minutes.to_string(),
                "",
            ]);
        }
    }
    for p in &f.top {
        let who = format!("{} — {}", p.name, p.place);
        line(&[
            "Médecins effecteurs (rendez-vous non annulés)",
            &who,
            &p.count.to_string(),
            "",
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::indicators::TopPractitioner;

    #[test]
    fn every_figure_is_a_line_with_defused_and_quoted_fields() {
        let count = |key: &str, label: &str, count| Count {
            label: label.into(),
            key: key.into(),
            count,
        };
        let share = |label: &str, count, percent: &str| Share {
            label: label.into(),
            count,
            percent: percent.into(),
        };
        let figures = Indicators {
            period: "du 30/11/2026 au 01/12/2026".into(),
            scope: "tous les départements".into(),
            total: 3,
            days: vec![
                count("2026-11-30", "30/11/2026", 1),
                count("2026-12-01", "01/12/2026", 2),
            ],
            departements: vec![count("75", "75", 3)],
            kinds: vec![share("Soins non programmés", 3, "100\u{a0}%")],
            outcomes: vec![share("Honorés", 1, "33,3\u{a0}%")],
            delay_median: Some(125),
            delay_p90: None,
            top: vec![TopPractitioner {
                name: "=HYPERLINK(\"x\") Martin".into(),
                place: "Paris 4e (75)".into(),
                count: 3,
            }],
        };
        assert_eq!(
            csv(&figures),
            "indicateur,libellé,valeur,part\r\n\
             Période,du 30/11/2026 au 01/12/2026,,\r\n\
             Périmètre,tous les départements,,\r\n\
             Rendez-vous pris,total,3,\r\n\
             Rendez-vous pris par jour,2026-11-30,1,\r\n\
             Rendez-vous pris par jour,2026-12-01,2,\r\n\
             Rendez-vous pris par département,75,3,\r\n\
             Type de créneau,Soins non programmés,3,100\u{a0}%\r\n\
             Issue,Honorés,1,\"33,3\u{a0}%\"\r\n\
             Délai avant le rendez-vous (minutes),médiane (2 h 05),125,\r\n\
             Médecins effecteurs (rendez-vous non annulés),\"'=HYPERLINK(\"\"x\"\") Martin — Paris 4e (75)\",3,\r\n"
        );
    }
}
