//! The one rule deciding whether a slot is shown to SAS regulators (domain.md, rule 1).

use serde::{Deserialize, Serialize};

/// The flags of one reason (motif) configured on a slot's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonFlags {
    /// The built-in "Soins non programmés" reason.
    pub is_snp: bool,
    pub open_to_new_patients: bool,
    pub bookable_online: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotState {
    Free,
    Booked,
    /// Held by another regulator during a booking.
    Held,
}

/// Everything the rule needs to know about one slot.
#[derive(Debug, Clone, Copy)]
pub struct SlotFacts<'a> {
    /// "Je participe au SAS".
    pub sas_registered: bool,
    /// "J'accepte de nouveaux patients".
    pub accepts_new_patients: bool,
    /// The reasons configured on the slot's range (archived ones excluded).
    pub reasons: &'a [ReasonFlags],
    pub state: SlotState,
    pub starts_in_future: bool,
}

/// Why a slot reaches the SAS search; shown as badges on the result cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SasVisibility {
    /// "Soins non programmés" is configured on the range.
    pub snp: bool,
    /// The slot is open to new patients and bookable online.
    pub new_patients: bool,
}

impl SasVisibility {
    /// Stored form (`slots.sas_flags`): 0 hidden, 1 SNP, 2 new patients, 3 both.
    pub fn code(why: Option<Self>) -> i64 {
        why.map_or(0, |w| i64::from(w.snp) + 2 * i64::from(w.new_patients))
    }

    pub fn from_code(code: i64) -> Option<Self> {
        let why = SasVisibility {
            snp: code & 1 != 0,
            new_patients: code & 2 != 0,
        };
        (why.snp || why.new_patients).then_some(why)
    }
}

/// `Some(why)` when the slot is shown to regulators, `None` otherwise.
pub fn sas_visibility(facts: &SlotFacts) -> Option<SasVisibility> {
    if facts.state != SlotState::Free || !facts.starts_in_future {
        return None;
    }
    range_visibility(
        facts.sas_registered,
        facts.accepts_new_patients,
        facts.reasons,
    )
}

/// The part of the rule that depends only on the practitioner's settings and the reasons of
/// the slot's range, the same for every slot of the range. The store evaluates it when these
/// change and keeps it with each slot, so that a search only checks the slot is free and ahead.
pub fn range_visibility(
    sas_registered: bool,
    accepts_new_patients: bool,
    reasons: &[ReasonFlags],
) -> Option<SasVisibility> {
    if !sas_registered {
        return None;
    }
    let why = SasVisibility {
        snp: reasons.iter().any(|r| r.is_snp),
        new_patients: accepts_new_patients
            && reasons
                .iter()
                .any(|r| r.open_to_new_patients && r.bookable_online),
    };
    (why.snp || why.new_patients).then_some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNP: ReasonFlags = ReasonFlags {
        is_snp: true,
        open_to_new_patients: false,
        bookable_online: false,
    };
    const fn reason(new: bool, online: bool) -> ReasonFlags {
        ReasonFlags {
            is_snp: false,
            open_to_new_patients: new,
            bookable_online: online,
        }
    }

    /// Every combination of the inputs, checked against the rule as the guide states it.
    #[test]
    fn every_combination() {
        let reason_sets: Vec<Vec<ReasonFlags>> = {
            let plain = [
                reason(false, false),
                reason(true, false),
                reason(false, true),
                reason(true, true),
            ];
            let mut sets = vec![vec![]];
            for r in plain {
                sets.push(vec![r]);
                sets.push(vec![r, SNP]);
            }
            sets.push(vec![SNP]);
            sets.push(vec![reason(true, false), reason(false, true)]);
            sets
        };
        let mut visible = 0;
        for sas in [false, true] {
            for accepts in [false, true] {
                for reasons in &reason_sets {
                    for state in [SlotState::Free, SlotState::Booked, SlotState::Held] {
                        for future in [false, true] {
                            let facts = SlotFacts {
                                sas_registered: sas,
                                accepts_new_patients: accepts,
                                reasons,
                                state,
                                starts_in_future: future,
                            };
                            let has_snp = reasons.contains(&SNP);
                            let one_reason_open = reasons
                                .iter()
                                .any(|r| r.open_to_new_patients && r.bookable_online);
                            let expected = sas
                                && state == SlotState::Free
                                && future
                                && (has_snp || (accepts && one_reason_open));
                            let got = sas_visibility(&facts);
                            assert_eq!(got.is_some(), expected, "{facts:?}");
                            // What the store keeps for the range says the same of a free future slot.
                            let stored = range_visibility(sas, accepts, reasons);
                            if state == SlotState::Free && future {
                                assert_eq!(stored, got);
                            }
                            assert_eq!(
                                SasVisibility::from_code(SasVisibility::code(stored)),
                                stored
                            );
                            if let Some(why) = got {
                                visible += 1;
                                assert_eq!(why.snp, has_snp);
                                assert_eq!(why.new_patients, accepts && one_reason_open);
                            }
                        }
                    }
                }
            }
        }
        assert!(visible > 0);
    }

    #[test]
    fn the_guide_cases() {
        let free = |accepts, reasons: &[ReasonFlags]| {
            sas_visibility(&SlotFacts {
                sas_registered: true,
                accepts_new_patients: accepts,
                reasons,
                state: SlotState::Free,
                starts_in_future: true,
            })
        };
        // Accepts new patients, nothing to do on the agenda: open online slots show up.
        assert_eq!(
            free(true, &[reason(true, true)]),
            Some(SasVisibility {
                snp: false,
                new_patients: true
            })
        );
        // Does not accept new patients: only ranges with "Soins non programmés".
        assert_eq!(free(false, &[reason(true, true)]), None);
        assert_eq!(
            free(false, &[reason(false, false), SNP]),
            Some(SasVisibility {
                snp: true,
                new_patients: false
            })
        );
        // Open to new patients but not bookable online: hidden.
        assert_eq!(free(true, &[reason(true, false)]), None);
        // Open on two different reasons that each miss one flag: hidden.
        assert_eq!(
            free(true, &[reason(true, false), reason(false, true)]),
            None
        );
    }
}
