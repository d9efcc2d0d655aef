//! Tests of the journald sink against a socket the test binds; a real journald is in integration-tests/tests/journald.rs.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixDatagram;

use logtree_core::{Level, Record, Sink};

use super::*;

/// Parses one entry of the native protocol into its fields, as journald documents it.
pub(crate) fn parse_entry(mut bytes: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while !bytes.is_empty() {
        let line_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .expect("a field ends");
        let line = &bytes[..line_end];
        let (name, value, rest) = match line.iter().position(|&b| b == b'=') {
            Some(eq) => (&line[..eq], line[eq + 1..].to_vec(), &bytes[line_end + 1..]),
            None => {
                let after = &bytes[line_end + 1..];
                let len = u64::from_le_bytes(after[..8].try_into().unwrap()) as usize;
                let value = after[8..8 + len].to_vec();
                assert_eq!(after[8 + len], b'\n', "binary value ends with a line break");
                (line, value, &after[8 + len + 1..])
            }
        };
        fields
            .entry(String::from_utf8(name.to_vec()).unwrap())
            .or_default()
            .push(String::from_utf8(value).unwrap());
        bytes = rest;
    }
    fields
}

/// One datagram, or the content of the memfd it carries.
fn receive(socket: &UnixDatagram) -> Vec<u8> {
    let mut data = vec![0u8; 1 << 16];
    let mut control = [0u64; 8];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: the buffers outlive the call and their lengths are given.
    let (len, fd) = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        let len = libc::recvmsg(socket.as_raw_fd(), &mut msg, 0);
        assert!(len >= 0, "{}", std::io::Error::last_os_error());
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        let fd = (!cmsg.is_null() && (*cmsg).cmsg_type == libc::SCM_RIGHTS)
            .then(|| std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>()));
        (len as usize, fd)
    };
    match fd {
        Some(fd) => {
            assert_eq!(len, 0, "a memfd comes in an empty datagram");
            let mut content = Vec::new();
            // SAFETY: the descriptor was just received and is ours.
            let mut file = unsafe { File::from_raw_fd(fd) };
            // The sender's writes left the shared offset at the end; journald maps the file.
            file.seek(SeekFrom::Start(0)).unwrap();
            file.read_to_end(&mut content).unwrap();
            content
        }
        None => {
            assert!(len < data.len(), "a datagram of {len} bytes was cut");
            data[..len].to_vec()
        }
    }
}

#[test]
fn entries_follow_the_native_protocol_and_large_ones_go_through_a_memfd() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("socket");
    let journal = UnixDatagram::bind(&path).unwrap();
    let sink = JournaldSink::builder()
        .socket(&path)
        .identifier("shop")
        .build()
        .unwrap();

    let kvs = [("user id", "ann"), ("trace", "a\nb"), ("message", "shadow")];
    sink.log(
        &Record::builder()
            .level(Level::Warn)
            .logger("shop.db")
            .args(format_args!("two\nlines"))
            .file(Some("src/db.rs"))
            .line(Some(42))
            .module_path(Some("shop::db"))
            .thread(1, Some("main"))
            .key_values(&kvs)
            .build(),
    )
    .unwrap();
    // Larger than a datagram may be (the socket's send buffer, ~208 KiB by default).
    let big = "x".repeat(1 << 20);
    sink.log(&Record::builder().args(format_args!("{big}")).build())
        .unwrap();
    sink.flush().unwrap();

    let fields = parse_entry(&receive(&journal));
    let one = |name: &str| {
        fields
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {fields:?}"))
    };
    assert_eq!(one("MESSAGE"), ["two\nlines"]);
    assert_eq!(one("PRIORITY"), ["4"]);
    assert_eq!(one("SYSLOG_IDENTIFIER"), ["shop"]);
    assert_eq!(one("LOGGER"), ["shop.db"]);
    assert_eq!(one("THREAD"), ["main"]);
    assert_eq!(one("CODE_FILE"), ["src/db.rs"]);
    assert_eq!(one("CODE_LINE"), ["42"]);
    assert_eq!(one("CODE_MODULE"), ["shop::db"]);
    assert_eq!(one("USER_ID"), ["ann"]);
    assert_eq!(one("TRACE"), ["a\nb"]);
    assert_eq!(one("KV_MESSAGE"), ["shadow"]);

    let fields = parse_entry(&receive(&journal));
    assert_eq!(fields["MESSAGE"], [big]);
    assert_eq!(fields["PRIORITY"], ["6"]);
    sink.shutdown().unwrap();
}
