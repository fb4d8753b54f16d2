//! An iCalendar file (RFC 5545) of one appointment, attached to the patient's confirmation mail:
//! one VEVENT, instants in UTC, text escaped, lines folded at 75 octets and ended by CRLF.

use chrono::DateTime;

/// One event; instants are Unix seconds.
pub struct Event<'a> {
    /// Unique and stable for the appointment ("rdv-42@sas.example").
    pub uid: &'a str,
    pub stamp: i64,
    pub start: i64,
    pub end: i64,
    pub summary: &'a str,
    pub location: &'a str,
    pub description: &'a str,
    /// The same event (same UID) withdrawn from the patient's calendar: `STATUS:CANCELLED`,
    /// `SEQUENCE:1`. Published, not an iTIP `METHOD:CANCEL`, which needs an organizer and
    /// attendees this mail has not.
    pub cancelled: bool,
}

/// The `.ics` text of `event`.
pub fn calendar(event: &Event) -> String {
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Service d'Accès aux Soins//Prise de rendez-vous//FR".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}", text(event.uid)),
        format!("DTSTAMP:{}", utc(event.stamp)),
        format!("DTSTART:{}", utc(event.start)),
        format!("DTEND:{}", utc(event.end)),
        format!("SUMMARY:{}", text(event.summary)),
        format!("LOCATION:{}", text(event.location)),
        format!("DESCRIPTION:{}", text(event.description)),
        format!("SEQUENCE:{}", u8::from(event.cancelled)),
        if event.cancelled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        }
        .into(),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

/// "20261201T083000Z"
fn utc(at: i64) -> String {
    DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A TEXT value: backslash, semicolon, comma and newlines escaped (RFC 5545, 3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.replace("\r\n", "\n").chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// One content line folded at 75 octets, never inside a character, each part ended by CRLF and
/// continued after a space (RFC 5545, 3.1).
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(description: &'a str, location: &'a str) -> Event<'a> {
        Event {
            uid: "rdv-42@sas.example",
            stamp: 1_796_113_800,
            // 1 December 2026, 10:00–10:20 Paris time.
            start: 1_796_115_600,
            end: 1_796_116_800,
            summary: "Rendez-vous avec Dr Sophie Martin",
            location,
            description,
            cancelled: false,
        }
    }

    /// The logical lines: unfolded, without their CRLF.
    fn unfolded(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn one_event_in_utc_with_every_property() {
        let ics = calendar(&event("Au cabinet", "12 rue de Rivoli"));
        let lines = unfolded(&ics);
        for expected in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            "UID:rdv-42@sas.example",
            "DTSTAMP:20261201T083000Z",
            "DTSTART:20261201T090000Z",
            "DTEND:20261201T092000Z",
            "SUMMARY:Rendez-vous avec Dr Sophie Martin",
            "LOCATION:12 rue de Rivoli",
            "DESCRIPTION:Au cabinet",
            "SEQUENCE:0",
            "STATUS:CONFIRMED",
            "END:VEVENT",
            "END:VCALENDAR",
        ] {
            assert!(lines.iter().any(|l| l == expected), "{expected} in {ics}");
        }
        assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "CRLF only");
    }

    #[test]
    fn a_cancelled_event_keeps_its_uid_with_a_new_sequence() {
        let ics = calendar(&Event {
            cancelled: true,
            ..event("Au cabinet", "12 rue de Rivoli")
        });
        let lines = unfolded(&ics);
        for expected in [
            "METHOD:PUBLISH",
            "UID:rdv-42@sas.example",
            "SEQUENCE:1",
            "STATUS:CANCELLED",
        ] {
            assert!(lines.iter().any(|l| l == expected), "{expected} in {ics}");
        }
    }

    #[test]
    fn text_is_escaped() {
        let ics = calendar(&event(
            "Sonnez, puis montez ; 2e étage\\gauche\nMerci",
            "3 rue A, 35000 Rennes",
        ));
        let lines = unfolded(&ics);
        assert!(lines.contains(
            &"DESCRIPTION:Sonnez\\, puis montez \\; 2e étage\\\\gauche\\nMerci".to_string()
        ));
        assert!(lines.contains(&"LOCATION:3 rue A\\, 35000 Rennes".to_string()));
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let long = "é".repeat(100) + &"a".repeat(100);
        let ics = calendar(&event(&long, "Paris"));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        assert!(ics.contains("\r\n é") || ics.contains("\r\n a"), "folded");
        assert!(unfolded(&ics).contains(&format!("DESCRIPTION:{long}")));
    }
}
