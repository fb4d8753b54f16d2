//! The server's clock. In production it is the system clock. In test or demo mode only
//! (`SAS_TEST_CLOCK=1`), `SAS_NOW` (RFC 3339, e.g. `2026-12-01T09:30:00+01:00`) sets the
//! instant the clock shows at start-up; from then on it runs normally, at a fixed offset from
//! the system clock, so that hold expiries, sweeps and countdowns keep working.
//!
//! Every server use of "now" goes through [`now`] (`crate::server::now` / `now_utc`).

use chrono::{DateTime, TimeDelta, Utc};
use std::sync::OnceLock;

/// The switch without which `SAS_NOW` is ignored.
pub const SWITCH: &str = "SAS_TEST_CLOCK";
/// The instant the clock shows at start-up, when the switch is on.
pub const NOW: &str = "SAS_NOW";

/// Offset from the system clock, set at most once, at start-up.
static OFFSET: OnceLock<TimeDelta> = OnceLock::new();

/// The current instant: the system clock, plus the test offset when one was set.
pub fn now() -> DateTime<Utc> {
    let real = Utc::now();
    match OFFSET.get() {
        Some(offset) => real + *offset,
        None => real,
    }
}

/// What the environment asks of the clock.
#[derive(Debug, PartialEq)]
pub enum Setting {
    /// The system clock (production).
    Real,
    /// `SAS_NOW` is set but the switch is off: ignored.
    Ignored,
    /// Test clock: this offset from the system clock.
    Offset(TimeDelta),
}

/// Decides from the values of `SAS_TEST_CLOCK` and `SAS_NOW`, the system clock reading `real`.
pub fn setting(
    switch: Option<&str>,
    sas_now: Option<&str>,
    real: DateTime<Utc>,
) -> Result<Setting, String> {
    let on = match switch.map(str::trim) {
        None | Some("" | "0") => false,
        Some("1") => true,
        Some(other) => {
            return Err(format!(
                "{SWITCH} vaut « {other} » : 1 active l'horloge de test, 0 ou absent la laisse à l'heure réelle."
            ));
        }
    };
    let sas_now = sas_now.map(str::trim).filter(|s| !s.is_empty());
    match (on, sas_now) {
        (false, None) => Ok(Setting::Real),
        (false, Some(_)) => Ok(Setting::Ignored),
        (true, None) => Err(format!(
            "{SWITCH}=1 demande {NOW}, l'instant de départ de l'horloge (RFC 3339, par exemple 2026-12-01T09:30:00+01:00)."
        )),
        (true, Some(text)) => DateTime::parse_from_rfc3339(text)
            .map(|start| Setting::Offset(start.with_timezone(&Utc) - real))
            .map_err(|e| {
                format!(
                    "{NOW} « {text} » : {e} (attendu RFC 3339, par exemple 2026-12-01T09:30:00+01:00)."
                )
            }),
    }
}

/// Reads `SAS_TEST_CLOCK` and `SAS_NOW` once, at start-up, and says loudly when the clock is
/// not the real one.
pub fn init_from_env() -> Result<(), String> {
    let var = |name| std::env::var(name).ok();
    match setting(var(SWITCH).as_deref(), var(NOW).as_deref(), Utc::now())? {
        Setting::Real => {}
        Setting::Ignored => tracing::warn!(
            "{NOW} is set but ignored: the test clock needs {SWITCH}=1; the server runs on the real clock"
        ),
        Setting::Offset(offset) => {
            if OFFSET.set(offset).is_err() {
                return Err("horloge de test déjà réglée".into());
            }
            tracing::warn!(
                "TEST CLOCK IN FORCE ({SWITCH}=1): the server's time starts at {} ({} s from the real clock) and runs from there. Never in production.",
                now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                offset.num_seconds()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-20T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn production_ignores_sas_now_without_the_switch() {
        assert_eq!(setting(None, None, real()), Ok(Setting::Real));
        assert_eq!(setting(Some("0"), None, real()), Ok(Setting::Real));
        for switch in [None, Some(""), Some("0")] {
            assert_eq!(
                setting(switch, Some("2026-12-01T09:30:00+01:00"), real()),
                Ok(Setting::Ignored)
            );
        }
    }

    #[test]
    fn the_switch_sets_the_offset_from_the_real_clock() {
        let got = setting(Some("1"), Some("2026-12-01T09:30:00+01:00"), real()).unwrap();
        let start = DateTime::parse_from_rfc3339("2026-12-01T08:30:00Z").unwrap();
        assert_eq!(got, Setting::Offset(start.with_timezone(&Utc) - real()));
    }

    #[test]
    fn a_bad_setting_stops_the_start() {
        assert!(setting(Some("1"), None, real()).is_err());
        assert!(setting(Some("1"), Some("demain"), real()).is_err());
        assert!(setting(Some("1"), Some("2026-12-01 09:30"), real()).is_err());
        assert!(setting(Some("oui"), Some("2026-12-01T09:30:00+01:00"), real()).is_err());
    }

    #[test]
    fn without_an_offset_the_clock_is_the_real_one() {
        // Unit tests never set the offset.
        let before = Utc::now();
        let t = now();
        assert!(t >= before && t <= Utc::now());
    }
}
