//! The fields of events and spans, captured as the tree's key-values.
//!
//! `tracing` lends a field's value only for the length of one visitor call, while a record
//! borrows its key-values for the whole dispatch: so values are copied, the numbers and
//! booleans as they are (the JSON formatter keeps their type), text into one buffer that the
//! next event reuses, so that capturing allocates nothing once the buffers have grown.

use std::fmt::{self, Write as _};
use std::ops::Range;

use log::kv;
use tracing_core::field::{Field, Visit};

/// The field that holds an event's message.
const MESSAGE: &str = "message";

/// One captured value; text lives in the owning [`Fields`]' buffer.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(f64),
    Bool(bool),
    Text(Range<usize>),
    Static(&'static str),
}

/// Named values in the order they were captured; a [`kv::Source`] for records.
#[derive(Default, Debug)]
pub(crate) struct Fields {
    entries: Vec<(&'static str, Value)>,
    text: String,
}

impl Fields {
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.text.clear();
    }

    /// Lets go of buffers grown past `bytes` (text, or the entries' own size).
    pub(crate) fn trim(&mut self, bytes: usize) {
        if self.text.capacity() > bytes {
            self.text = String::new();
        }
        if self.entries.capacity() * std::mem::size_of::<(&str, Value)>() > bytes {
            self.entries = Vec::new();
        }
    }

    pub(crate) fn push_static(&mut self, name: &'static str, value: &'static str) {
        self.entries.push((name, Value::Static(value)));
    }

    /// Appends the text `write` produces. A `Debug` or `Display` that fails keeps what it wrote
    /// before failing: a record with part of a value beats a lost record.
    fn push_text(&mut self, name: &'static str, write: impl FnOnce(&mut String) -> fmt::Result) {
        let start = self.text.len();
        let _ = write(&mut self.text);
        self.entries
            .push((name, Value::Text(start..self.text.len())));
    }

    /// Appends every field of `other`, in its order.
    pub(crate) fn extend_from(&mut self, other: &Fields) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.entries
            .extend(other.entries.iter().map(|(name, value)| match value {
                Value::Text(range) => {
                    (*name, Value::Text(range.start + offset..range.end + offset))
                }
                value => (*name, value.clone()),
            }));
    }

    /// Removes the fields named `name` (a span recording a field again replaces it), and the
    /// text they held.
    fn remove(&mut self, name: &str) {
        if !self.entries.iter().any(|(n, _)| *n == name) {
            return;
        }
        let old = std::mem::take(self);
        for (n, value) in old.entries {
            match value {
                _ if n == name => {}
                Value::Text(range) => {
                    let text = old.text.get(range).unwrap_or_default();
                    self.push_text(n, |out| out.write_str(text));
                }
                value => self.entries.push((n, value)),
            }
        }
    }

    #[cfg(test)]
    fn get(&self, name: &str) -> Option<kv::Value<'_>> {
        self.entries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| self.value(value))
    }

    fn value<'a>(&'a self, value: &'a Value) -> kv::Value<'a> {
        match value {
            Value::I64(n) => kv::Value::from(*n),
            Value::U64(n) => kv::Value::from(*n),
            Value::I128(n) => kv::Value::from(*n),
            Value::U128(n) => kv::Value::from(*n),
            Value::F64(x) => kv::Value::from(*x),
            Value::Bool(b) => kv::Value::from(*b),
            Value::Text(range) => kv::Value::from(self.text.get(range.clone()).unwrap_or_default()),
            Value::Static(s) => kv::Value::from(*s),
        }
    }
}

impl kv::Source for Fields {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn kv::VisitSource<'kvs>) -> Result<(), kv::Error> {
        for (name, value) in &self.entries {
            visitor.visit_pair(kv::Key::from_str(name), self.value(value))?;
        }
        Ok(())
    }

    fn count(&self) -> usize {
        self.entries.len()
    }
}

/// A `tracing` visitor that captures fields, and an event's message apart.
pub(crate) struct Recorder<'a> {
    fields: &'a mut Fields,
    /// Where the `message` field goes; `None` keeps it as a field (spans).
    message: Option<&'a mut String>,
    /// Whether a field recorded again replaces the one captured before (a span's `record`).
    replace: bool,
}

impl<'a> Recorder<'a> {
    /// For an event: `message` apart, the other fields appended.
    pub(crate) fn event(fields: &'a mut Fields, message: &'a mut String) -> Recorder<'a> {
        Recorder {
            fields,
            message: Some(message),
            replace: false,
        }
    }

    /// For a span's fields, given when it is created or recorded later.
    pub(crate) fn span(fields: &'a mut Fields) -> Recorder<'a> {
        Recorder {
            fields,
            message: None,
            replace: true,
        }
    }

    /// Where a field's text goes: the message, or `None` for a field (made room for).
    fn message_or_room(&mut self, field: &Field) -> Option<&mut String> {
        if field.name() == MESSAGE {
            if let Some(message) = self.message.as_deref_mut() {
                return Some(message);
            }
        }
        if self.replace {
            self.fields.remove(field.name());
        }
        None
    }

    fn push(&mut self, field: &Field, value: Value) {
        if self.replace {
            self.fields.remove(field.name());
        }
        self.fields.entries.push((field.name(), value));
    }
}

impl Visit for Recorder<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match self.message_or_room(field) {
            Some(message) => {
                let _ = write!(message, "{value:?}");
            }
            None => self
                .fields
                .push_text(field.name(), |out| write!(out, "{value:?}")),
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match self.message_or_room(field) {
            Some(message) => message.push_str(value),
            None => self
                .fields
                .push_text(field.name(), |out| out.write_str(value)),
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.push(field, Value::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.push(field, Value::U64(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.push(field, Value::I128(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.push(field, Value::U128(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.push(field, Value::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.push(field, Value::Bool(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::kv::Source;

    fn pairs(fields: &Fields) -> Vec<(String, String)> {
        let mut out = Vec::new();
        logtree_core::for_each_key_value(fields, |key, value| {
            out.push((key.as_str().to_owned(), value.to_string()));
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn values_keep_their_type_and_text_shares_one_buffer() {
        let mut fields = Fields::default();
        fields.push_static("span.name", "request");
        fields.push_text("path", |out| out.write_str("/a b"));
        fields.entries.push(("n", Value::I64(-3)));
        fields.entries.push(("big", Value::U128(u128::MAX)));
        fields.entries.push(("ok", Value::Bool(true)));
        fields.entries.push(("x", Value::F64(1.5)));
        assert_eq!(fields.count(), 6);
        assert_eq!(fields.get("n").and_then(|v| v.to_i64()), Some(-3));
        assert_eq!(fields.get("ok").and_then(|v| v.to_bool()), Some(true));
        assert_eq!(fields.get("x").and_then(|v| v.to_f64()), Some(1.5));
        assert_eq!(
            fields.get("path").and_then(|v| v.to_borrowed_str()),
            Some("/a b")
        );
        assert_eq!(
            pairs(&fields)[4..],
            [
                ("ok".to_owned(), "true".to_owned()),
                ("x".to_owned(), "1.5".to_owned())
            ]
        );
    }

    #[test]
    fn trimming_drops_only_buffers_grown_past_the_bound() {
        let mut fields = Fields::default();
        fields.push_text("small", |out| out.write_str("abc"));
        fields.clear();
        fields.trim(1024);
        assert!(
            fields.text.capacity() >= 3,
            "a small buffer is kept for the next event"
        );
        fields.push_text("big", |out| out.write_str(&"x".repeat(4096)));
        fields.clear();
        fields.trim(1024);
        assert_eq!(fields.text.capacity(), 0);
    }

    #[test]
    fn extending_shifts_text_and_removing_keeps_the_rest() {
        let mut span = Fields::default();
        span.push_text("user", |out| out.write_str("ann"));
        span.push_text("id", |out| out.write_str("7"));
        let mut event = Fields::default();
        event.push_text("first", |out| out.write_str("xyz"));
        event.extend_from(&span);
        assert_eq!(
            pairs(&event),
            [
                ("first".to_owned(), "xyz".to_owned()),
                ("user".to_owned(), "ann".to_owned()),
                ("id".to_owned(), "7".to_owned()),
            ]
        );
        event.remove("user");
        assert_eq!(
            pairs(&event),
            [
                ("first".to_owned(), "xyz".to_owned()),
                ("id".to_owned(), "7".to_owned()),
            ]
        );
        assert_eq!(event.text, "xyz7", "the removed text is dropped too");
    }
}
