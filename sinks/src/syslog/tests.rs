//! Tests of the syslog sink against sockets the tests own; the real daemon is in
//! integration-tests/tests/syslog_rsyslog.rs.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, UNIX_EPOCH};

use chrono::FixedOffset;
use logtree_core::{Level, LevelFilter, LoggerTree, Record, SetupOptions, Sink};
use logtree_formatters::Zone;

use super::*;

fn encoder(format: SyslogFormat, max_bytes: usize) -> Encoder {
    Encoder {
        format,
        facility: Facility::Local4,
        host: "box".into(),
        app_name: "shop".into(),
        sd_id: "logtree@32473".into(),
        fields_sd_id: "fields@32473".into(),
        zone: Zone::Fixed(FixedOffset::east_opt(2 * 3600).unwrap()),
        message: None,
        max_bytes,
    }
}

fn encode(encoder: &Encoder, message: &str, kvs: &[(&str, &str)]) -> String {
    let mut out = Vec::new();
    encoder
        .encode(
            &Record::builder()
                .level(Level::Warn)
                .logger("shop.db")
                .args(format_args!("{message}"))
                .thread(3, Some("worker"))
                .file(Some("src/db.rs"))
                .line(Some(42))
                .key_values(&kvs)
                .timestamp(UNIX_EPOCH + Duration::from_nanos(1_751_034_323_123_456_789))
                .build(),
            4242,
            &mut out,
        )
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn rfc5424_message_with_structured_data_escaped() {
    let got = encode(
        &encoder(SyslogFormat::Rfc5424, 8192),
        "said \"hi\"",
        &[("user", "ann"), ("q", r#"a "b" \c [d]"#), ("bad key=", "x")],
    );
    assert_eq!(
        got,
        concat!(
            "<164>1 2025-06-27T16:25:23.123456+02:00 box shop 4242 - ",
            r#"[logtree@32473 logger="shop.db" level="WARN" thread="worker" thread_id="3" "#,
            r#"file="src/db.rs" line="42"]"#,
            r#"[fields@32473 user="ann" q="a \"b\" \\c [d\]" bad_key_="x"] said "hi""#
        )
    );
    let mut utc = encoder(SyslogFormat::Rfc5424, 8192);
    utc.zone = Zone::Utc;
    assert!(encode(&utc, "m", &[]).starts_with("<164>1 2025-06-27T14:25:23.123456Z box "));
}

#[test]
fn rfc3164_message_carries_key_values_in_the_text() {
    let got = encode(&encoder(SyslogFormat::Rfc3164, 8192), "up", &[("n", "1")]);
    assert_eq!(got, "<164>Jun 27 16:25:23 box shop[4242]: up n=1");
}

#[test]
fn a_message_too_large_is_cut_with_a_marker_never_split_or_dropped() {
    let enc = encoder(SyslogFormat::Rfc5424, 600);
    let long = "é".repeat(1000);
    let got = encode(&enc, &long, &[]);
    assert!(got.len() <= 600, "{}", got.len());
    let full = encode(&encoder(SyslogFormat::Rfc5424, 1 << 20), &long, &[]).len();
    assert!(
        got.ends_with(&format!("é...[truncated from {full} bytes]")),
        "{got}"
    );

    // Structured data too large for the limit: the key-values move into the text.
    let big = "v".repeat(700);
    let got = encode(&enc, "msg", &[("k", &big)]);
    assert!(got.len() <= 600);
    assert!(!got.contains("[fields@32473"), "{got}");
    assert!(got.contains("] msg k=vvvv"), "{got}");
    assert!(got.contains("...[truncated from "), "{got}");
}

/// A TCP "daemon" that reads octet-counted frames.
fn read_frames(stream: &mut std::net::TcpStream, count: usize) -> Vec<String> {
    let mut buf = Vec::new();
    let mut frames = Vec::new();
    let mut chunk = [0u8; 4096];
    while frames.len() < count {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed after {} frames", frames.len());
        buf.extend_from_slice(&chunk[..n]);
        while let Some(space) = buf.iter().position(|&b| b == b' ') {
            let len: usize = std::str::from_utf8(&buf[..space]).unwrap().parse().unwrap();
            if buf.len() < space + 1 + len {
                break;
            }
            frames.push(String::from_utf8(buf[space + 1..space + 1 + len].to_vec()).unwrap());
            buf.drain(..space + 1 + len);
        }
    }
    frames
}

#[test]
fn tcp_records_wait_while_the_daemon_is_away_and_past_the_bound_are_counted() {
    // Reserve a port, then close it: the daemon is "down".
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Tcp(format!("127.0.0.1:{port}")))
        .app_name("t")
        .queue_limits(QueueLimits {
            max_records: 5,
            max_bytes: 1 << 20,
        })
        .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
        .flush_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let tree = LoggerTree::new();
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&errors);
    tree.set_error_handler(move |err| seen.lock().unwrap().push(err.to_string()));
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new().level(LevelFilter::Info).sink(sink),
        )
        .unwrap();
    for i in 0..8 {
        app.info(format_args!("record {i}"));
    }
    // The daemon is down: the flush is bounded and says why.
    let err = tree.flush().unwrap_err().to_string();
    assert!(err.contains("records still queued"), "{err}");
    let errors_now = errors.lock().unwrap().clone();
    assert!(
        errors_now.iter().any(|e| e.contains("queue full")),
        "{errors_now:?}"
    );

    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let (mut daemon, _) = listener.accept().unwrap();
    let frames = read_frames(&mut daemon, 6);
    for (i, frame) in frames[..5].iter().enumerate() {
        assert!(frame.ends_with(&format!("] record {i}")), "{frame}");
    }
    assert!(frames[5].starts_with("<12>1 "), "{}", frames[5]);
    assert!(
        frames[5].ends_with(
            "] 3 records dropped: the syslog queue was full while the daemon could not be reached"
        ),
        "{}",
        frames[5]
    );
    tree.flush().unwrap();
    tree.shutdown().unwrap();
}

#[test]
fn udp_datagrams_carry_one_message_each() {
    let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Udp(daemon.local_addr().unwrap().to_string()))
        .format(SyslogFormat::Rfc3164)
        .facility(Facility::Daemon)
        .app_name("my app")
        .build()
        .unwrap();
    for i in 0..3 {
        sink.log(
            &Record::builder()
                .level(Level::Error)
                .args(format_args!("n{i}"))
                .build(),
        )
        .unwrap();
    }
    sink.flush().unwrap();
    let mut buf = [0u8; 2048];
    for i in 0..3 {
        let len = daemon.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..len]).into_owned();
        assert!(got.starts_with("<27>"), "{got}");
        assert!(
            got.ends_with(&format!(" my_app[{}]: n{i}", std::process::id())),
            "{got}"
        );
    }
    sink.shutdown().unwrap();
}

#[test]
fn shutdown_with_the_daemon_away_reports_what_it_could_not_send() {
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Unix("/nonexistent/logtree-test.sock".into()))
        .flush_timeout(Duration::from_millis(20))
        .build()
        .unwrap();
    // The first log returns Ok (queued); the failure is reported later.
    sink.log(&Record::builder().args(format_args!("lost")).build())
        .unwrap();
    let err = sink.shutdown().unwrap_err().to_string();
    assert!(
        err.contains("1 queued records were not sent at shutdown"),
        "{err}"
    );
}

#[test]
fn bad_options_are_refused() {
    let err = SyslogSink::builder()
        .max_message_bytes(100)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("at least 480"), "{err}");
    let err = SyslogSink::builder()
        .address("udp://127.0.0.1:514".parse().unwrap())
        .max_message_bytes(70_000)
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("65507"), "{err}");
}
