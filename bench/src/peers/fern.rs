//! fern: a plain file (fern has no rotation), flushed after every record; the timestamp is
//! formatted with chrono per record, as fern's documentation does.

use log::LevelFilter;

use super::{Api, Case, Class, FacadeFlush, Installed, Kind, LineForm, Setup};
use crate::line::TIMESTAMP;
use crate::BoxError;

/// fern, one plain file.
pub const CASE: Case = Case {
    name: "fern",
    class: Class::EveryRecord,
    kind: Kind::Peer,
    api: Api::Log,
    install,
    w3: true,
    w3_other: true,
    note: "no rotation: one plain file",
    line: LineForm::Issue7,
};

fn install(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let mut dispatch = fern::Dispatch::new()
        .format(|out, message, record| {
            out.finish(format_args!(
                "{} - {} - {} - {}",
                chrono::Local::now().format(TIMESTAMP),
                record.target(),
                record.level(),
                message
            ));
        })
        .level(LevelFilter::Info);
    if setup.other_at_debug {
        dispatch = dispatch.level_for("other", LevelFilter::Debug);
    }
    dispatch
        .chain(fern::log_file(setup.dir.join("app.log"))?)
        .apply()?;
    Ok(Box::new(FacadeFlush))
}
