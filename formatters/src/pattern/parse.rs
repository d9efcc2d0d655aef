//! Parsing a layout into segments, once, at construction.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset};
use logtree_core::Error;

use crate::timestamp::SecondText;

/// One piece of a parsed layout.
#[derive(Clone, Debug)]
pub(super) enum Segment {
    Literal(Box<str>),
    /// `{time}`: the cached millisecond timestamp.
    Time,
    /// Consecutive items of a `{time:…}` that change at most once a second (most of them), and
    /// their text of the last seconds.
    TimeSeconds(Box<[Item<'static>]>, SecondText),
    /// `%3f`: milliseconds, three digits.
    Millis,
    /// `%.3f`: a dot and milliseconds.
    DotMillis,
    /// Any other item finer than a second (`%f`, `%.6f`, `%+`…), formatted per record.
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
            let placeholder = placeholder(&after[..close], pos)?;
            if !literal.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut literal).into()));
            }
            segments.extend(placeholder);
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

/// The segments for the inside of `{…}` found at `pos`.
fn placeholder(inside: &str, pos: usize) -> Result<Vec<Segment>, Error> {
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
        None => Ok(vec![segment]),
        Some(_) => Err(invalid(format!(
            "placeholder \"{{{inside}}}\" at position {pos} takes no format (only {{time:…}} does)"
        ))),
    }
}

fn time(spec: Option<&str>, inside: &str, pos: usize) -> Result<Vec<Segment>, Error> {
    let spec = match spec {
        None | Some(MILLISECOND_SPEC) => return Ok(vec![Segment::Time]),
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
    render(&items, 123_456_789).ok_or_else(bad)?;
    Ok(split_by_second(items))
}

/// Splits a time layout into runs that change at most once a second (cached per second) and
/// the items finer than that, found by rendering each at different fractions of one second.
fn split_by_second(items: Vec<Item<'static>>) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut run = Vec::new();
    let flush = |run: &mut Vec<Item<'static>>, segments: &mut Vec<Segment>| {
        if !run.is_empty() {
            let items = std::mem::take(run).into_boxed_slice();
            segments.push(Segment::TimeSeconds(items, SecondText::new()));
        }
    };
    for item in items {
        let at = |nanos| render(std::slice::from_ref(&item), nanos);
        if at(0) == at(123_456_789) && at(0) == at(7_000_000) {
            run.push(item);
            continue;
        }
        flush(&mut run, &mut segments);
        segments.push(
            match (at(123_456_789).as_deref(), at(7_000_000).as_deref()) {
                (Some("123"), Some("007")) => Segment::Millis,
                (Some(".123"), Some(".007")) => Segment::DotMillis,
                _ => Segment::TimeItems(Box::new([item])),
            },
        );
    }
    flush(&mut run, &mut segments);
    segments
}

/// `items` for 2025-06-27 14:25:23 +02:00 and `nanos`, or `None` if chrono cannot write them.
fn render(items: &[Item<'static>], nanos: u32) -> Option<String> {
    use std::fmt::Write;
    let at = DateTime::from_timestamp(1_751_034_323, nanos)?
        .with_timezone(&FixedOffset::east_opt(7200)?);
    let mut text = String::new();
    write!(text, "{}", at.format_with_items(items.iter())).ok()?;
    Some(text)
}

fn invalid(reason: String) -> Error {
    Error::InvalidOption {
        option: "layout".to_owned(),
        reason,
    }
}
