//! RFC 3164, the BSD format: `<PRI>Mmm dd HH:MM:SS HOSTNAME TAG[PID]: MSG`.
//!
//! It has no year, no sub-second time, no zone and no structured data: the key-values go
//! into the message as ` key=value`. Use it only for daemons that read nothing else.

use logtree_core::{write_display, Record};

use super::encode::Encoder;

/// Appends everything from the timestamp to the space before MSG.
pub(super) fn header(encoder: &Encoder, record: &Record<'_>, pid: u32, out: &mut Vec<u8>) {
    let at = encoder.local_time(record);
    // `%e` pads the day with a space, as the RFC wants (`Jun  7`). chrono always formats these
    // items, so the error case cannot happen.
    let _ = write_display(out, &at.format("%b %e %H:%M:%S"), "the timestamp");
    out.push(b' ');
    out.extend_from_slice(encoder.host.as_bytes());
    out.push(b' ');
    out.extend_from_slice(encoder.app_name.as_bytes());
    out.push(b'[');
    out.extend_from_slice(pid.to_string().as_bytes());
    out.extend_from_slice(b"]: ");
}
