//! The names the sink makes, and the strict parse that tells them from every other file.
//!
//! For the stem `App` and the period label `2025-06-28` (daily, never) or `2025-06-28T14`
//! (hourly):
//!
//! | name | what it is |
//! | --- | --- |
//! | `App_2025-06-28.log` | the period's file (the one written while the period lasts) |
//! | `App_2025-06-28.log.3` | its size backup 3 (1 is the newest) |
//! | `App_2025-06-28.log.3.gz`, `….3.zst` | backup 3, compressed (complete: renamed into place after `fsync`) |
//! | `App_2025-06-28.log.gz`, `….log.zst` | a past period's file, compressed |
//! | `App_2025-06-28.log.3.gz.tmp` | a compression under way (or cut short by a crash) |
//! | `App_2025-06-28.log.roll-17` | a staged roll-over: the file renamed away by the caller, waiting to become `.1`; staged files of one period become backups in the order of their number |
//!
//! Numbers are decimal without leading zeros (backups from 1, roll numbers from 1), dates and
//! hours exactly as shown; any other spelling is not the sink's and is never touched.

use std::fmt;

use chrono::NaiveDate;

use super::period::Period;

/// The archive format of a file: none, or the compressor's suffix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Form {
    Plain,
    Gzip,
    Zstd,
}

impl Form {
    /// The suffix the form adds, with its dot.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Form::Plain => "",
            Form::Gzip => ".gz",
            Form::Zstd => ".zst",
        }
    }
}

/// What a name of the sink's is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    /// The period's file (`index` 0) or its backup `index`, in `form`.
    File { index: u32, form: Form },
    /// A compression of `File { index, form: Plain }` into `form`, under way or cut short.
    Partial { index: u32, form: Form },
    /// A roll-over staged by the caller, numbered `seq`.
    Staged { seq: u64 },
}

/// A parsed name of the sink: the period and what the file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct LogName {
    pub(crate) period: Period,
    pub(crate) kind: Kind,
}

impl LogName {
    /// The period's file.
    pub(crate) fn current(period: Period) -> LogName {
        LogName::file(period, 0, Form::Plain)
    }

    /// The period's file (`index` 0) or backup `index` in `form`.
    pub(crate) fn file(period: Period, index: u32, form: Form) -> LogName {
        LogName {
            period,
            kind: Kind::File { index, form },
        }
    }

    /// The file name for `stem`.
    pub(crate) fn render(&self, stem: &str) -> String {
        let base = format!("{stem}_{}.log", Label(self.period));
        let index = |index: u32| {
            if index == 0 {
                String::new()
            } else {
                format!(".{index}")
            }
        };
        match self.kind {
            Kind::File { index: i, form } => format!("{base}{}{}", index(i), form.suffix()),
            Kind::Partial { index: i, form } => {
                format!("{base}{}{}.tmp", index(i), form.suffix())
            }
            Kind::Staged { seq } => format!("{base}.roll-{seq}"),
        }
    }

    /// Parses a file name made by the sink of `stem`; `None` for any other name.
    pub(crate) fn parse(stem: &str, name: &str) -> Option<LogName> {
        let rest = name.strip_prefix(stem)?.strip_prefix('_')?;
        let log_at = rest.find(".log")?;
        let period = parse_label(&rest[..log_at])?;
        let mut rest = &rest[log_at + ".log".len()..];
        if let Some(seq) = rest.strip_prefix(".roll-") {
            let seq = parse_number(seq).filter(|&seq| seq > 0)?;
            return Some(LogName {
                period,
                kind: Kind::Staged { seq },
            });
        }
        let partial = match rest.strip_suffix(".tmp") {
            Some(stripped) => {
                rest = stripped;
                true
            }
            None => false,
        };
        let form = [Form::Gzip, Form::Zstd]
            .into_iter()
            .find_map(|form| {
                let stripped = rest.strip_suffix(form.suffix())?;
                rest = stripped;
                Some(form)
            })
            .unwrap_or(Form::Plain);
        let index = match rest {
            "" => 0,
            _ => {
                let n = parse_number(rest.strip_prefix('.')?)?;
                u32::try_from(n).ok().filter(|&n| n > 0)?
            }
        };
        let kind = match (partial, form) {
            (false, form) => Kind::File { index, form },
            (true, Form::Plain) => return None,
            (true, form) => Kind::Partial { index, form },
        };
        Some(LogName { period, kind })
    }
}

/// A period as the name shows it: `2025-06-28` or `2025-06-28T14`.
pub(crate) struct Label(pub(crate) Period);

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.date.format("%Y-%m-%d"))?;
        if let Some(hour) = self.0.hour {
            write!(f, "T{hour:02}")?;
        }
        Ok(())
    }
}

fn parse_label(text: &str) -> Option<Period> {
    let (date, hour) = match text.split_once('T') {
        Some((date, hour)) => (date, Some(hour)),
        None => (text, None),
    };
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let hour = match hour {
        None => None,
        Some(h) if h.len() == 2 && h.bytes().all(|b| b.is_ascii_digit()) => {
            Some(h.parse::<u32>().ok().filter(|&h| h < 24)?)
        }
        Some(_) => return None,
    };
    let period = Period { date, hour };
    // Only the one spelling the sink writes (chrono also reads `2025-6-28`, `+2025-06-28`).
    (Label(period).to_string() == text).then_some(period)
}

/// A decimal number without sign or leading zeros.
fn parse_number(text: &str) -> Option<u64> {
    let plain = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    plain.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day() -> Period {
        Period {
            date: NaiveDate::from_ymd_opt(2025, 6, 28).unwrap(),
            hour: None,
        }
    }

    fn hour(h: u32) -> Period {
        Period {
            hour: Some(h),
            ..day()
        }
    }

    #[test]
    fn every_kind_renders_and_parses_back() {
        let cases = [
            (LogName::current(day()), "App_2025-06-28.log"),
            (LogName::current(hour(14)), "App_2025-06-28T14.log"),
            (LogName::current(hour(0)), "App_2025-06-28T00.log"),
            (LogName::file(day(), 3, Form::Plain), "App_2025-06-28.log.3"),
            (
                LogName::file(day(), 3, Form::Gzip),
                "App_2025-06-28.log.3.gz",
            ),
            (
                LogName::file(hour(9), 12, Form::Zstd),
                "App_2025-06-28T09.log.12.zst",
            ),
            (LogName::file(day(), 0, Form::Gzip), "App_2025-06-28.log.gz"),
            (
                LogName {
                    period: day(),
                    kind: Kind::Partial {
                        index: 2,
                        form: Form::Gzip,
                    },
                },
                "App_2025-06-28.log.2.gz.tmp",
            ),
            (
                LogName {
                    period: day(),
                    kind: Kind::Partial {
                        index: 0,
                        form: Form::Zstd,
                    },
                },
                "App_2025-06-28.log.zst.tmp",
            ),
            (
                LogName {
                    period: hour(23),
                    kind: Kind::Staged { seq: 17 },
                },
                "App_2025-06-28T23.log.roll-17",
            ),
        ];
        for (name, text) in cases {
            assert_eq!(name.render("App"), text);
            assert_eq!(LogName::parse("App", text), Some(name), "{text}");
        }
    }

    #[test]
    fn other_names_are_not_the_sinks() {
        for other in [
            "App_2025-06-28.txt",
            "App_2025-06-28.log.0",
            "App_2025-06-28.log.01",
            "App_2025-06-28.log.-1",
            "App_2025-06-28.log.1.bz2",
            "App_2025-06-28.log.1.tmp",
            "App_2025-06-28.log.tmp",
            "App_2025-06-28.log.1.gz.tmp.tmp",
            "App_2025-06-28.log.gz.gz",
            "App_2025-06-28.log.roll-",
            "App_2025-06-28.log.roll-0",
            "App_2025-06-28.log.roll-01",
            "App_2025-06-28.log.roll-1.gz",
            "App_2025-06-28.log.99999999999",
            "App_2025-6-28.log",
            "App_2025-06-28T24.log",
            "App_2025-06-28T1.log",
            "App_2025-06-28T014.log",
            "App_2025-02-30.log",
            "App_+2025-06-28.log",
            "App-2025-06-28.log",
            "App2025-06-28.log",
            "Ap_2025-06-28.log",
            "Other_2025-06-28.log",
            "App_2025-06-28.log.1 ",
            "App_2025-06-28.log.1~",
            ".App_2025-06-28.log.1.gz.swp",
            "App_2025-06-28.loga",
        ] {
            assert_eq!(LogName::parse("App", other), None, "{other}");
        }
        // A stem that is a prefix of another stem does not claim its files.
        assert_eq!(LogName::parse("App", "App_x_2025-06-28.log"), None);
        assert!(LogName::parse("App_x", "App_x_2025-06-28.log").is_some());
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepts_only_what_render_gives(name in "App_[-0-9T.a-z]{0,30}") {
            if let Some(parsed) = LogName::parse("App", &name) {
                prop_assert_eq!(parsed.render("App"), name);
            }
        }
    }
}
