//! The `[syslog]` and `[journald]` tables: a sink that ships records to the host's syslog
//! daemon or to the systemd journal, beside the console and the file.

use std::sync::Arc;

use logtree_core::{Error, LevelFilter, Sink};
#[cfg(target_os = "linux")]
use logtree_sinks::JournaldSink;
use logtree_sinks::{Facility, SyslogAddress, SyslogFormat, SyslogSink};
use serde::Deserialize;

/// The syslog sink's settings (table `syslog`); the table's presence turns the sink on.
///
/// ```toml
/// [syslog]
/// address = "udp://127.0.0.1:5514"   # "tcp://host:port", "unix:/dev/log" (the default)
/// format = "rfc5424"                 # or "rfc3164"
/// facility = "user"                  # kern ... local7
/// app_name = "myapp"                 # default: the program's name
/// level = "info"                     # default: every record of the logger
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SyslogConfig {
    /// Where to send (`unix:/dev/log` unless set).
    pub address: Option<SyslogAddress>,
    /// RFC 5424 unless set.
    pub format: Option<SyslogFormat>,
    /// `user` unless set.
    pub facility: Option<Facility>,
    /// APP-NAME; the program's name unless set.
    pub app_name: Option<String>,
    /// The sink's own level.
    pub level: Option<LevelFilter>,
}

impl SyslogConfig {
    /// Every setting at its default: `unix:/dev/log`, RFC 5424, `user`, the program's name.
    pub fn new() -> SyslogConfig {
        SyslogConfig::default()
    }

    /// Sets the address.
    pub fn address(mut self, address: SyslogAddress) -> SyslogConfig {
        self.address = Some(address);
        self
    }

    /// Sets the format.
    pub fn format(mut self, format: SyslogFormat) -> SyslogConfig {
        self.format = Some(format);
        self
    }

    /// Sets the facility.
    pub fn facility(mut self, facility: Facility) -> SyslogConfig {
        self.facility = Some(facility);
        self
    }

    /// Sets APP-NAME.
    pub fn app_name(mut self, app_name: impl Into<String>) -> SyslogConfig {
        self.app_name = Some(app_name.into());
        self
    }

    /// Sets the sink's own level.
    pub fn level(mut self, level: LevelFilter) -> SyslogConfig {
        self.level = Some(level);
        self
    }

    /// Lays `over` on this: each setting `over` has wins.
    pub(crate) fn merge(&mut self, over: SyslogConfig) {
        macro_rules! take {
            ($($field:ident),*) => {$(
                if over.$field.is_some() {
                    self.$field = over.$field;
                }
            )*};
        }
        take!(address, format, facility, app_name, level);
    }

    /// The sink.
    ///
    /// # Errors
    /// As [`SyslogSinkBuilder::build`](logtree_sinks::SyslogSinkBuilder::build).
    pub fn build(&self) -> Result<SyslogSink, Error> {
        let mut builder = SyslogSink::builder()
            .address(self.address.clone().unwrap_or_default())
            .format(self.format.unwrap_or_default())
            .facility(self.facility.unwrap_or_default())
            .level(self.level.unwrap_or(LevelFilter::Trace));
        if let Some(app_name) = &self.app_name {
            builder = builder.app_name(app_name.clone());
        }
        builder.build()
    }
}

/// The journald sink's settings (table `journald`); the table's presence turns the sink on.
///
/// ```toml
/// [journald]
/// level = "info"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournaldConfig {
    /// The sink's own level.
    pub level: Option<LevelFilter>,
}

impl JournaldConfig {
    /// Every setting at its default.
    pub fn new() -> JournaldConfig {
        JournaldConfig::default()
    }

    /// Sets the sink's own level.
    pub fn level(mut self, level: LevelFilter) -> JournaldConfig {
        self.level = Some(level);
        self
    }

    pub(crate) fn merge(&mut self, over: JournaldConfig) {
        if over.level.is_some() {
            self.level = over.level;
        }
    }

    /// The sink, writing to journald's socket.
    ///
    /// # Errors
    /// As [`JournaldSinkBuilder::build`](logtree_sinks::JournaldSinkBuilder::build).
    #[cfg(target_os = "linux")]
    pub fn build(&self) -> Result<JournaldSink, Error> {
        JournaldSink::builder()
            .level(self.level.unwrap_or(LevelFilter::Trace))
            .build()
    }
}

impl super::Config {
    /// The sinks of the `[syslog]` and `[journald]` tables, those present: the daemons the
    /// records are shipped to, beside the console and the file.
    ///
    /// # Errors
    /// As [`SyslogConfig::build`] and [`JournaldConfig::build`]; `[journald]` elsewhere than
    /// on Linux is [`Error::InvalidOption`].
    pub fn daemon_sinks(&self) -> Result<Vec<Arc<dyn Sink>>, Error> {
        let mut sinks: Vec<Arc<dyn Sink>> = Vec::new();
        if let Some(syslog) = &self.syslog {
            sinks.push(Arc::new(syslog.build()?));
        }
        if let Some(journald) = &self.journald {
            sinks.push(journald_sink(journald)?);
        }
        Ok(sinks)
    }
}

#[cfg(target_os = "linux")]
fn journald_sink(config: &JournaldConfig) -> Result<Arc<dyn Sink>, Error> {
    Ok(Arc::new(config.build()?))
}

/// journald exists on Linux only.
#[cfg(not(target_os = "linux"))]
fn journald_sink(_: &JournaldConfig) -> Result<Arc<dyn Sink>, Error> {
    Err(Error::InvalidOption {
        option: "journald".to_owned(),
        reason: "the systemd journal exists on Linux only".to_owned(),
    })
}

/// Lays the table `over` on `under`, either possibly absent.
pub(crate) fn merge_table<T>(under: &mut Option<T>, over: Option<T>, merge: fn(&mut T, T)) {
    match (under.as_mut(), over) {
        (Some(under), Some(over)) => merge(under, over),
        (None, Some(over)) => *under = Some(over),
        (_, None) => {}
    }
}

/// The `[syslog]` table as written; each value is checked as it is read, so that an error
/// names its key, line and column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyslogTable {
    address: Option<Parsed<SyslogAddress>>,
    format: Option<Parsed<SyslogFormat>>,
    facility: Option<Parsed<Facility>>,
    app_name: Option<String>,
    level: Option<Parsed<LevelFilter>>,
}

impl From<SyslogTable> for SyslogConfig {
    fn from(table: SyslogTable) -> SyslogConfig {
        SyslogConfig {
            address: table.address.map(|p| p.0),
            format: table.format.map(|p| p.0),
            facility: table.facility.map(|p| p.0),
            app_name: table.app_name,
            level: table.level.map(|p| p.0),
        }
    }
}

/// The `[journald]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JournaldTable {
    level: Option<Parsed<LevelFilter>>,
}

impl From<JournaldTable> for JournaldConfig {
    fn from(table: JournaldTable) -> JournaldConfig {
        JournaldConfig {
            level: table.level.map(|p| p.0),
        }
    }
}

/// A value read from a string by its parser, with the parser's reason as the error.
#[derive(Deserialize)]
#[serde(try_from = "String", bound = "T: FromText")]
struct Parsed<T>(T);

/// How a table's value is read from its text.
trait FromText: Sized {
    fn from_text(text: &str) -> Result<Self, String>;
}

impl<T: FromText> TryFrom<String> for Parsed<T> {
    type Error = String;
    fn try_from(text: String) -> Result<Parsed<T>, String> {
        T::from_text(&text).map(Parsed)
    }
}

/// The reason of an [`Error::InvalidOption`], else the whole message.
fn reason(err: Error) -> String {
    match err {
        Error::InvalidOption { reason, .. } => reason,
        other => other.to_string(),
    }
}

impl FromText for SyslogAddress {
    fn from_text(text: &str) -> Result<SyslogAddress, String> {
        text.parse().map_err(reason)
    }
}

impl FromText for Facility {
    fn from_text(text: &str) -> Result<Facility, String> {
        text.parse().map_err(reason)
    }
}

impl FromText for LevelFilter {
    fn from_text(text: &str) -> Result<LevelFilter, String> {
        text.parse().map_err(|err: Error| err.to_string())
    }
}

impl FromText for SyslogFormat {
    fn from_text(text: &str) -> Result<SyslogFormat, String> {
        match text.to_ascii_lowercase().as_str() {
            "rfc5424" => Ok(SyslogFormat::Rfc5424),
            "rfc3164" => Ok(SyslogFormat::Rfc3164),
            _ => Err(format!(
                "{text:?} is not a syslog format: use \"rfc5424\" or \"rfc3164\""
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    #[test]
    fn the_tables_are_read_from_toml_and_json() {
        let config = Config::from_toml_str(
            "[syslog]\naddress = \"udp://127.0.0.1:5514\"\nformat = \"rfc3164\"\n\
             facility = \"local4\"\napp_name = \"myapp\"\nlevel = \"info\"\n\n[journald]\nlevel = \"warn\"\n",
            "logtree.toml",
        )
        .unwrap();
        let want = SyslogConfig::new()
            .address(SyslogAddress::Udp("127.0.0.1:5514".into()))
            .format(SyslogFormat::Rfc3164)
            .facility(Facility::Local4)
            .app_name("myapp")
            .level(LevelFilter::Info);
        assert_eq!(config.syslog, Some(want));
        assert_eq!(
            config.journald,
            Some(JournaldConfig::new().level(LevelFilter::Warn))
        );

        let config = Config::from_json_str(r#"{"syslog": {}}"#, "logtree.json").unwrap();
        assert_eq!(config.syslog, Some(SyslogConfig::new()));
        assert_eq!(config.journald, None);
    }

    #[test]
    fn bad_values_name_the_file_key_line_and_column() {
        for (toml, key, why) in [
            (
                "[syslog]\nfacility = \"local9\"\n",
                "syslog.facility",
                "\"local9\" is not a facility",
            ),
            (
                "[syslog]\n\naddress = \"http://x:1\"\n",
                "syslog.address",
                "is not an address",
            ),
            (
                "[syslog]\naddress = \"udp://h\"\n",
                "syslog.address",
                "has no port",
            ),
            (
                "[syslog]\nformat = \"rfc9999\"\n",
                "syslog.format",
                "not a syslog format",
            ),
            (
                "[syslog]\nlevel = \"loud\"\n",
                "syslog.level",
                "invalid level",
            ),
            (
                "[syslog]\nport = 514\n",
                "syslog.port",
                "unknown field `port`",
            ),
            ("[journald]\nlevel = 3\n", "journald.level", "invalid type"),
        ] {
            let err = Config::from_toml_str(toml, "app.toml").unwrap_err();
            let Error::InvalidConfig {
                source_name,
                key: got_key,
                reason,
            } = &err
            else {
                panic!("{err:?}")
            };
            assert_eq!(source_name, "app.toml");
            assert_eq!(got_key.as_deref(), Some(key), "{toml}: {err}");
            assert!(reason.contains(why), "{toml}: {reason}");
            assert!(reason.contains(" at line "), "{toml}: {reason}");
        }
        let err = Config::from_toml_str("[syslog]\n\naddress = \"http://x:1\"\n", "app.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("at line 3 column 11"), "{err}");
    }

    #[test]
    fn layers_merge_setting_by_setting() {
        let mut config = Config {
            syslog: Some(
                SyslogConfig::new()
                    .app_name("code")
                    .facility(Facility::Daemon),
            ),
            ..Config::default()
        };
        config.merge(Config {
            syslog: Some(SyslogConfig::new().app_name("file")),
            ..Config::default()
        });
        assert_eq!(
            config.syslog,
            Some(
                SyslogConfig::new()
                    .app_name("file")
                    .facility(Facility::Daemon)
            )
        );
    }
}
