//! Facilities and severities: the two halves of a syslog priority.

use std::fmt;
use std::str::FromStr;

use logtree_core::{Error, Level};

/// The syslog facility a program's records are filed under (RFC 5424 §6.2.1), `user` by
/// default. Daemons route on it (`local0.* /var/log/app.log`).
///
/// ```
/// use logtree_sinks::Facility;
/// assert_eq!("local3".parse::<Facility>()?, Facility::Local3);
/// assert_eq!(Facility::Local3.code(), 19);
/// assert!("locl3".parse::<Facility>().is_err());
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // The names are the standard ones, listed in `Facility::NAMES`.
pub enum Facility {
    Kern,
    #[default]
    User,
    Mail,
    Daemon,
    Auth,
    Syslog,
    Lpr,
    News,
    Uucp,
    Cron,
    Authpriv,
    Ftp,
    Local0,
    Local1,
    Local2,
    Local3,
    Local4,
    Local5,
    Local6,
    Local7,
}

impl Facility {
    /// Every facility with its name, in code order (`local0` is 16).
    pub const NAMES: [(&'static str, Facility); 20] = [
        ("kern", Facility::Kern),
        ("user", Facility::User),
        ("mail", Facility::Mail),
        ("daemon", Facility::Daemon),
        ("auth", Facility::Auth),
        ("syslog", Facility::Syslog),
        ("lpr", Facility::Lpr),
        ("news", Facility::News),
        ("uucp", Facility::Uucp),
        ("cron", Facility::Cron),
        ("authpriv", Facility::Authpriv),
        ("ftp", Facility::Ftp),
        ("local0", Facility::Local0),
        ("local1", Facility::Local1),
        ("local2", Facility::Local2),
        ("local3", Facility::Local3),
        ("local4", Facility::Local4),
        ("local5", Facility::Local5),
        ("local6", Facility::Local6),
        ("local7", Facility::Local7),
    ];

    /// The numeric code: 0 (`kern`) to 23 (`local7`); 12–15 are reserved by the RFC and have
    /// no name here.
    pub fn code(self) -> u8 {
        let index = self as u8;
        // local0 is 16: the codes 12–15 (ntp, security, console, clock) are skipped.
        if index >= Facility::Local0 as u8 {
            index + 4
        } else {
            index
        }
    }

    /// The name, as the config file and daemons spell it.
    pub fn name(self) -> &'static str {
        Facility::NAMES[self as usize].0
    }
}

impl fmt::Display for Facility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Facility {
    type Err = Error;

    /// A facility name, case-insensitive (`user`, `daemon`, `local0` … `local7`).
    fn from_str(text: &str) -> Result<Facility, Error> {
        Facility::NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(text))
            .map(|&(_, facility)| facility)
            .ok_or_else(|| Error::InvalidOption {
                option: "facility".to_owned(),
                reason: format!(
                    "{text:?} is not a facility: use kern, user, mail, daemon, auth, syslog, lpr, \
                     news, uucp, cron, authpriv, ftp or local0 … local7"
                ),
            })
    }
}

/// The syslog severity of a level, as Python's `SysLogHandler` maps them: `Error` → 3 (err),
/// `Warn` → 4 (warning), `Info` → 6 (info), `Debug` and `Trace` → 7 (debug).
pub(crate) fn severity(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

/// `facility * 8 + severity`, the number between `<` and `>`.
pub(crate) fn priority(facility: Facility, level: Level) -> u8 {
    facility.code() * 8 + severity(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_rfc_table() {
        let codes: Vec<u8> = Facility::NAMES.iter().map(|(_, f)| f.code()).collect();
        let mut want: Vec<u8> = (0..12).collect();
        want.extend(16..24);
        assert_eq!(codes, want);
        for (name, facility) in Facility::NAMES {
            assert_eq!(facility.name(), name);
            assert_eq!(name.to_uppercase().parse::<Facility>().unwrap(), facility);
        }
    }

    #[test]
    fn priorities() {
        assert_eq!(priority(Facility::User, Level::Info), 14);
        assert_eq!(priority(Facility::Kern, Level::Error), 3);
        assert_eq!(priority(Facility::Local7, Level::Trace), 191);
        assert_eq!(priority(Facility::Local0, Level::Warn), 132);
    }

    #[test]
    fn an_unknown_name_is_an_error_naming_the_choices() {
        let err = "local8".parse::<Facility>().unwrap_err().to_string();
        assert!(err.contains("\"local8\" is not a facility"), "{err}");
        assert!(err.contains("local7"), "{err}");
    }
}
