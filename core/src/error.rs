//! The one error type of logtree.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What went wrong, at setup or (reported through the tree's error handler) at log time.
///
/// Variants are named after the operation that failed and carry the path or name involved, so
/// that the message alone tells a user what to fix:
///
/// ```
/// use logtree_core::Error;
/// let err = Error::CreateDir {
///     path: "logs".into(),
///     source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
/// };
/// assert!(err.to_string().starts_with("cannot create log directory \"logs\""));
/// ```
///
/// Its `Debug` form is the same sentence, so that `fn main() -> Result<(), logtree::Error>`
/// ends with `Error: cannot create log directory "logs": permission denied` rather than a
/// dump of fields.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A logger name that breaks the naming rules (see [`crate::validate_name`]).
    #[error("invalid logger name {name:?}: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },

    /// A level name that is not one of `trace`, `debug`, `info`, `warn`, `error` (or `off`).
    #[error("invalid level {value:?}: expected trace, debug, info, warn, error or off")]
    InvalidLevel {
        /// The text as given.
        value: String,
    },

    /// An option value that cannot be used.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option's name.
        option: String,
        /// Why the value is refused.
        reason: String,
    },

    /// A configuration source (file or environment variable) that cannot be used.
    #[error("invalid configuration in {source_name}{}: {reason}", key.as_deref().map(|k| format!(", key {k:?}")).unwrap_or_default())]
    InvalidConfig {
        /// The file path or environment variable.
        source_name: String,
        /// The offending key, when one is known.
        key: Option<String>,
        /// What is wrong, with line and column where the parser gives them.
        reason: String,
    },

    /// Reading a configuration file failed: it cannot be opened or read, is not a regular
    /// file, or is larger than a configuration can be.
    #[error("cannot read configuration file {path:?}: {source}")]
    ReadConfig {
        /// The configuration file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// Creating a log directory failed.
    #[error("cannot create log directory {path:?}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// Opening (or creating) a log file failed.
    #[error("cannot open log file {path:?}: {source}")]
    OpenFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// Writing a record failed.
    #[error("cannot write to {target}: {source}")]
    Write {
        /// The file path or stream name (`stdout`, `stderr`).
        target: String,
        /// The cause.
        source: io::Error,
    },

    /// Flushing buffered records failed.
    #[error("cannot flush {target}: {source}")]
    Flush {
        /// The file path or stream name.
        target: String,
        /// The cause.
        source: io::Error,
    },

    /// Renaming a file during a roll-over failed.
    #[error("cannot rename {from:?} to {to:?}: {source}")]
    Rename {
        /// The file being renamed.
        from: PathBuf,
        /// The name it should have taken.
        to: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// Removing a file (the oldest backup) failed.
    #[error("cannot remove {path:?}: {source}")]
    RemoveFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// Compressing a rotated file failed; the plain file stays (a later run tries again).
    #[error("cannot compress {path:?}: {source}")]
    Compress {
        /// The file being compressed.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// Listing a log directory (to find the files to finish, compress or delete) failed.
    #[error("cannot read log directory {path:?}: {source}")]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },

    /// A formatter failed (a `Display` implementation in the message returned an error).
    #[error("cannot format record: {reason}")]
    Format {
        /// What failed.
        reason: String,
    },

    /// A sink panicked while handling a record; the tree caught it and went on.
    #[error("sink {sink} panicked: {message}")]
    SinkPanicked {
        /// The sink's identity.
        sink: String,
        /// The panic payload, when it was a string.
        message: String,
    },

    /// A sink dropped records it could not keep: more waited in memory than its documented
    /// bound (a full disk, a writer falling behind, a daemon away). The count is exact.
    #[error("{target}: {records} records dropped: {reason}")]
    RecordsDropped {
        /// The sink's destination.
        target: String,
        /// How many records were dropped since the last report.
        records: u64,
        /// Why.
        reason: String,
    },

    /// Another logger already owns the `log` facade, so `log::info!` cannot reach the tree.
    #[error("another logger is already installed for the `log` facade")]
    FacadeTaken,

    /// Anything else, for downstream sinks and formatters.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What `main` returning an `Err` prints: the sentence, not the variant's fields.
        fmt::Display::fmt(self, f)
    }
}

impl Error {
    /// Wraps any error of a downstream crate.
    pub fn other(err: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>) -> Error {
        Error::Other(err.into())
    }
}

impl From<std::fmt::Error> for Error {
    fn from(_: std::fmt::Error) -> Error {
        Error::Format {
            reason: "a Display implementation returned an error".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn debug_is_the_sentence_main_prints() {
        let err = Error::InvalidConfig {
            source_name: "app.toml".into(),
            key: Some("max_size".into()),
            reason: "\"ten\" is not a size".into(),
        };
        // `fn main() -> Result<(), Error>` prints `Error: ` and the Debug form.
        assert_eq!(
            format!("{err:?}"),
            "invalid configuration in app.toml, key \"max_size\": \"ten\" is not a size"
        );
        assert_eq!(format!("{err:?}"), err.to_string());
    }
}
