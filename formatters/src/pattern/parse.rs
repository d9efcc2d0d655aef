//! Parsing a layout into segments, once, at construction.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset};
use logtree_core::Error;

/// One piece of a parsed layout.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Segment {
    Literal(Box<str>),
    /// `{time}`: the cached millisecond timestamp.
    Time,
    /// `{time:…}`: a strftime-style layout, validated.
    TimeItems(Box<[Item<'static>]>),
    Level,
    Logger,
    Target,
    Message,
    Module,
    File,
    Line,
    Thread,
    ThreadId,
    KeyValues,
}

/// What `{time}` writes, spelled out: a `{time:…}` with exactly this uses the fast path.
const MILLISECOND_SPEC: &str = "%Y-%m-%d %H:%M:%S%.3f";

/// The segments of `layout`, adjacent literals merged.
///
/// # Errors
/// [`Error::InvalidOption`] (option `layout`) naming the byte position of the offending `{`
/// or `}`: an unknown placeholder, an unclosed `{`, a lone `}`, a format on a placeholder
/// that takes none, or a time format chrono refuses.
pub(super) fn parse(layout: &str) -> Result<Vec<Segment>, Error> {
    let mut segments = Vec::new();
    let mut literal = String::new();
    let mut rest = layout;
    let mut at = 0;
    while let Some(brace) = rest.find(['{', '}']) {
        literal.push_str(&rest[..brace]);
        let pos = at + brace;
        let after = &rest[brace + 1..];
        let consumed = if rest.as_bytes()[brace] == b'}' {
            if !after.starts_with('}') {
                return Err(invalid(format!(
                    "unmatched \"}}\" at position {pos} (write \"}}}}\" for a literal brace)"
                )));
            }
            literal.push('}');
            brace + 2
        } else if after.starts_with('{') {
            literal.push('{');
            brace + 2
        } else {
            let Some(close) = after.find('}') else {
                return Err(invalid(format!(
                    "unclosed \"{{\" at position {pos} (write \"{{{{\" for a literal brace)"
                )));
            };
            let segment = placeholder(&after[..close], pos)?;
            if !literal.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut literal).into()));
            }
            segments.push(segment);
            brace + 1 + close + 1
        };
        rest = &rest[consumed..];
        at += consumed;
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        segments.push(Segment::Literal(literal.into()));
    }
    Ok(segments)
}

/// The segment for the inside of `{…}` found at `pos`.
fn placeholder(inside: &str, pos: usize) -> Result<Segment, Error> {
    let (name, spec) = match inside.split_once(':') {
        Some((name, spec)) => (name, Some(spec)),
        None => (inside, None),
    };
    let segment = match name {
        "time" => return time(spec, inside, pos),
        "level" => Segment::Level,
        "logger" => Segment::Logger,
        "target" => Segment::Target,
        "message" => Segment::Message,
        "module" => Segment::Module,
        "file" => Segment::File,
        "line" => Segment::Line,
        "thread" => Segment::Thread,
        "thread_id" => Segment::ThreadId,
        "kv" => Segment::KeyValues,
        _ => {
            return Err(invalid(format!(
                "unknown placeholder \"{{{inside}}}\" at position {pos} (known: time, level, \
                 logger, target, message, module, file, line, thread, thread_id, kv)"
            )))
        }
    };
    match spec {
        None => Ok(segment),
        Some(_) => Err(invalid(format!(
            "placeholder \"{{{inside}}}\" at position {pos} takes no format (only {{time:…}} does)"
        ))),
    }
}

fn time(spec: Option<&str>, inside: &str, pos: usize) -> Result<Segment, Error> {
    let spec = match spec {
        None | Some(MILLISECOND_SPEC) => return Ok(Segment::Time),
        Some(spec) => spec,
    };
    let bad = || {
        invalid(format!(
            "invalid time format \"{spec}\" in \"{{{inside}}}\" at position {pos}"
        ))
    };
    if spec.is_empty() {
        return Err(bad());
    }
    let items = StrftimeItems::new(spec)
        .parse_to_owned()
        .map_err(|_| bad())?;
    // Some items parse but cannot be written (chrono reports that only when formatting):
    // try once now, so that a record never meets the error.
    let sample = DateTime::from_timestamp(1_751_034_323, 123_456_789)
        .zip(FixedOffset::east_opt(7200))
        .map(|(at, offset)| at.with_timezone(&offset));
    if let Some(sample) = sample {
        use std::fmt::Write;
        let mut text = String::new();
        write!(text, "{}", sample.format_with_items(items.iter())).map_err(|_| bad())?;
    }
    Ok(Segment::TimeItems(items.into()))
}

fn invalid(reason: String) -> Error {
    Error::InvalidOption {
        option: "layout".to_owned(),
        reason,
    }
}
