//! Working days for statutory time limits.
//!
//! 行政许可法 counts its limits in working days. Without a calendar file every Monday to Friday is
//! a working day. A calendar file adds public holidays and the weekend days made working days by
//! 调休, which the State Council publishes each year:
//! `{"holidays": ["2026-10-01", …], "workdays": ["2026-09-27", …]}`.

use std::collections::BTreeSet;

use crate::time::CivilDate;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<CivilDate>,
    workdays: BTreeSet<CivilDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "holiday calendar is not JSON of the form {{\"holidays\": [\"YYYY-MM-DD\"], \"workdays\": [\"YYYY-MM-DD\"]}}: {0}"
    )]
    Shape(String),
    /// Bytes that are not UTF-8 text (saved as GBK): where, and what to do
    /// ([`tongban_adapters::codec::utf8_text`]).
    #[error("holiday calendar {0}")]
    Text(String),
    /// The entry is quoted only when it has a date's form (`2026-13-01`): an ID number or a
    /// phone pasted into the list is said by its length.
    #[error(
        "holiday calendar: {field}[{index}] = {} is not a YYYY-MM-DD date",
        tongban_schemas::shown::said(.value, tongban_schemas::shown::time)
    )]
    Date {
        field: &'static str,
        index: usize,
        value: String,
    },
    /// A day listed as both: which one was meant cannot be told, and either reading moves
    /// deadlines by a day.
    #[error(
        "holiday calendar: {value} is in both holidays[{holiday}] and workdays[{workday}]; a day is a holiday or a 调休 working day, not both"
    )]
    Both {
        value: String,
        holiday: usize,
        workday: usize,
    },
}

impl Calendar {
    /// Monday to Friday.
    pub fn weekdays() -> Calendar {
        Calendar::default()
    }

    /// Whether this calendar knows no holiday and no make-up working day: every Monday to
    /// Friday counts, 国庆 and 春节 included. Pages that judge deadlines say so.
    pub fn is_weekdays_only(&self) -> bool {
        self.holidays.is_empty() && self.workdays.is_empty()
    }

    /// The last year the calendar lists any date of (holiday or 调休 working day): the State
    /// Council publishes each year's dates late in the year before, so a year after it is
    /// counted by the weekday alone. None for a weekdays-only calendar, which covers no year.
    pub fn covered_through(&self) -> Option<i64> {
        let last = |set: &BTreeSet<CivilDate>| set.last().map(|d| d.ymd().0);
        last(&self.holidays).max(last(&self.workdays))
    }

    /// Whether `day` falls in a year the calendar covers ([`Calendar::covered_through`]): a
    /// deadline due after it was counted without that year's holidays and may be due early.
    pub fn covers(&self, day: CivilDate) -> bool {
        self.covered_through().is_some_and(|y| day.ymd().0 <= y)
    }

    pub fn from_json(text: &str) -> Result<Calendar, CalendarError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            holidays: Vec<String>,
            #[serde(default)]
            workdays: Vec<String>,
        }
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| CalendarError::Shape(tongban_schemas::mask::config_error(&e)))?;
        // serde reads a struct from an array too (`[]`, `[["2026-10-01"]]`): only the object
        // documented is a calendar.
        if !value.is_object() {
            return Err(CalendarError::Shape("the file holds no JSON object".into()));
        }
        let file: File = serde_json::from_value(value)
            .map_err(|e| CalendarError::Shape(tongban_schemas::mask::config_error(&e)))?;
        let parse =
            |field: &'static str, list: &[String]| -> Result<BTreeSet<CivilDate>, CalendarError> {
                list.iter()
                    .enumerate()
                    .map(|(index, value)| {
                        CivilDate::parse(value).ok_or_else(|| CalendarError::Date {
                            field,
                            index,
                            value: value.clone(),
                        })
                    })
                    .collect()
            };
        let holidays = parse("holidays", &file.holidays)?;
        let workdays = parse("workdays", &file.workdays)?;
        if let Some(both) = holidays.intersection(&workdays).next() {
            let at = |list: &[String]| {
                list.iter()
                    .position(|v| CivilDate::parse(v).as_ref() == Some(both))
                    .unwrap_or_default()
            };
            let holiday = at(&file.holidays);
            return Err(CalendarError::Both {
                value: file.holidays.get(holiday).cloned().unwrap_or_default(),
                holiday,
                workday: at(&file.workdays),
            });
        }
        Ok(Calendar { holidays, workdays })
    }

    pub fn is_working_day(&self, d: CivilDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        d.weekday() <= 5 && !self.holidays.contains(&d)
    }

    /// The `n`-th working day after `from` (the day of receipt itself does not count).
    pub fn add_working_days(&self, from: CivilDate, n: u32) -> CivilDate {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d.add_days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]`; 0 when `to <= from`.
    pub fn working_days_between(&self, from: CivilDate, to: CivilDate) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d = d.add_days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a file that lists one day as both a holiday and a 调休 working day, or that is not
    /// the documented object, when it is read, then it is refused, naming the day and both
    /// places, or the shape.
    #[test]
    fn a_day_in_both_lists_and_a_file_that_is_no_object_are_refused() {
        let e = Calendar::from_json(
            r#"{"holidays": ["2026-10-01", "2026-10-02"], "workdays": ["2026-09-27", "2026-10-02"]}"#,
        )
        .expect_err("both");
        assert_eq!(
            e.to_string(),
            "holiday calendar: 2026-10-02 is in both holidays[1] and workdays[1]; a day is a \
             holiday or a 调休 working day, not both"
        );
        for text in ["[]", r#"[["2026-10-01"], []]"#] {
            assert!(
                matches!(Calendar::from_json(text), Err(CalendarError::Shape(_))),
                "{text}"
            );
        }
    }

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).expect("date")
    }

    #[test]
    fn a_calendar_without_holidays_or_workdays_is_weekdays_only() {
        assert!(Calendar::weekdays().is_weekdays_only());
        let cal = Calendar::from_json(r#"{"holidays": ["2026-10-01"], "workdays": []}"#)
            .expect("calendar");
        assert!(!cal.is_weekdays_only());
    }

    /// Given a calendar listing 2026's dates, when a date is asked about, then 2026 and earlier
    /// are covered and 2027 is not; a weekdays-only calendar covers nothing.
    #[test]
    fn the_calendar_covers_through_its_last_listed_year() {
        let cal =
            Calendar::from_json(r#"{"holidays": ["2026-10-01"], "workdays": ["2026-09-27"]}"#)
                .expect("calendar");
        assert_eq!(cal.covered_through(), Some(2026));
        assert!(cal.covers(d("2026-12-31")) && cal.covers(d("2025-03-01")));
        assert!(!cal.covers(d("2027-01-01")));
        let empty = Calendar::from_json("{}").expect("calendar");
        assert!(empty.is_weekdays_only());
        assert_eq!(empty.covered_through(), None);
        assert!(!empty.covers(d("2026-10-01")));
    }

    #[test]
    fn five_working_days_skip_the_weekend() {
        let cal = Calendar::weekdays();
        // Received Thursday 2026-11-19: Fri, Mon, Tue, Wed, Thu → due Thursday 2026-11-26.
        assert_eq!(cal.add_working_days(d("2026-11-19"), 5), d("2026-11-26"));
        assert_eq!(
            cal.working_days_between(d("2026-11-19"), d("2026-11-26")),
            5
        );
        assert_eq!(
            cal.working_days_between(d("2026-11-26"), d("2026-11-19")),
            0
        );
    }

    #[test]
    fn holidays_and_adjusted_workdays_count() {
        // National Day 2026: 10-01..10-07 off; Sunday 09-27 and Saturday 10-10 worked (调休).
        let cal = Calendar::from_json(
            r#"{"holidays":["2026-10-01","2026-10-02","2026-10-05","2026-10-06","2026-10-07"],
                "workdays":["2026-09-27","2026-10-10"]}"#,
        )
        .expect("calendar");
        assert!(cal.is_working_day(d("2026-09-27")));
        assert!(!cal.is_working_day(d("2026-10-01")));
        // From Wednesday 09-30: 10-08 (Thu), 10-09 (Fri), 10-10 (Sat, worked).
        assert_eq!(cal.add_working_days(d("2026-09-30"), 3), d("2026-10-10"));
    }

    #[test]
    fn malformed_calendar_names_the_entry() {
        let err =
            Calendar::from_json(r#"{"holidays":["2026-10-01","10/02/2026"]}"#).expect_err("bad");
        assert_eq!(
            err,
            CalendarError::Date {
                field: "holidays",
                index: 1,
                value: "10/02/2026".into()
            }
        );
        assert!(matches!(
            Calendar::from_json("5"),
            Err(CalendarError::Shape(_))
        ));
    }

    /// Given an ID number in a holiday calendar, as an entry or as a number where a date
    /// belongs, when the file is refused, then the message names the entry or the type and
    /// never the digits; a date's typo and a misspelt member are still quoted.
    #[test]
    fn a_calendar_refused_does_not_echo_personal_data() {
        let said = |text: &str| Calendar::from_json(text).expect_err("refused").to_string();
        let entry = said(r#"{"holidays":["2026-10-01","11010519491231002X"]}"#);
        assert_eq!(
            entry,
            "holiday calendar: holidays[1] = (a value of 18 characters, not shown) is not a \
             YYYY-MM-DD date"
        );
        let number = said(r#"{"workdays":[11010519491231002]}"#);
        assert!(number.contains("invalid type: integer"), "{number}");
        assert!(!number.contains("0519491231"), "{number}");
        let member = said(r#"{"13987654321":[]}"#);
        assert!(!member.contains("8765"), "{member}");
        // A file the operator edits: a misspelt member is named.
        assert!(said(r#"{"holdays":[]}"#).contains("unknown field `holdays`"));
        assert!(said(r#"{"holidays":["2026-13-01"]}"#).contains("= \"2026-13-01\" is not"));
    }
}
