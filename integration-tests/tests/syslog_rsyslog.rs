//! The syslog sink against a real rsyslog daemon started by each test (see
//! `integration_tests::rsyslog`): what rsyslog parsed out of each message (severity, facility,
//! app name, process id, structured data, text) is what was logged; over TCP every record
//! arrives once, across a restart of the daemon too, and past the queue's bound the drop count
//! is exact.

use std::collections::BTreeMap;
use std::time::Duration;

use integration_tests::rsyslog::{Received, Rsyslog};
use logtree_core::{Level, LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{Facility, QueueLimits, SyslogAddress, SyslogFormat, SyslogSink};

fn tree_with(sink: SyslogSink) -> (LoggerTree, logtree_core::Logger) {
    let tree = LoggerTree::new();
    let logger = tree
        .setup_logger(
            "shop.db",
            SetupOptions::new().level(LevelFilter::Trace).sink(sink),
        )
        .expect("set up the logger");
    (tree, logger)
}

/// The numbered records `prefix N` that arrived, with how often each did.
fn numbered(lines: &[Received], prefix: &str) -> BTreeMap<u32, usize> {
    let mut seen = BTreeMap::new();
    for line in lines {
        if let Some(n) = line.msg.strip_prefix(prefix).and_then(|n| n.parse().ok()) {
            *seen.entry(n).or_insert(0) += 1;
        }
    }
    seen
}

fn level_of(i: u32) -> Level {
    [
        Level::Trace,
        Level::Debug,
        Level::Info,
        Level::Warn,
        Level::Error,
    ][i as usize % 5]
}

fn facade_level(level: Level) -> log::Level {
    match level {
        Level::Trace => log::Level::Trace,
        Level::Debug => log::Level::Debug,
        Level::Info => log::Level::Info,
        Level::Warn => log::Level::Warn,
        Level::Error => log::Level::Error,
    }
}

fn severity_of(level: Level) -> u8 {
    match level {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug | Level::Trace => 7,
    }
}

#[test]
fn tcp_rfc5424_every_record_once_with_severity_facility_and_structured_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Rsyslog::start(dir.path());
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Tcp(format!("127.0.0.1:{}", daemon.tcp_port)))
        .facility(Facility::Local3)
        .app_name("lt-test")
        .build()
        .unwrap();
    // Through the `log` facade (the only test of this binary that uses the process-wide
    // tree), from two threads, with key-values on the main thread's records.
    LoggerTree::setup(
        "shop",
        SetupOptions::new().level(LevelFilter::Trace).sink(sink),
    )
    .unwrap();
    const N: u32 = 3000;
    let tricky = r#"say "hi" \o/ [x]"#;
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| {
            for i in (1..N).step_by(2) {
                log::log!(target: "shop::db", facade_level(level_of(i)), "record {i}");
            }
        })
        .unwrap();
    for i in (0..N).step_by(2) {
        log::log!(target: "shop::db", facade_level(level_of(i)), n = i, quote = tricky; "record {i}");
    }
    worker.join().unwrap();
    let tree = LoggerTree::global();
    tree.flush().unwrap();
    let main_thread = std::thread::current().name().unwrap_or_default().to_owned();

    let lines = daemon.wait_for("every record", |lines| {
        numbered(lines, "record ").len() == N as usize
    });
    let counts = numbered(&lines, "record ");
    assert!(counts.values().all(|&c| c == 1), "a record arrived twice");
    let pid = std::process::id().to_string();
    for line in &lines {
        let i: u32 = line.msg.strip_prefix("record ").unwrap().parse().unwrap();
        let level = level_of(i);
        assert_eq!(line.severity, severity_of(level), "{line:?}");
        assert_eq!(line.facility, 19, "local3: {line:?}");
        assert_eq!(line.app_name, "lt-test");
        assert_eq!(line.procid, pid);
        let thread = if i % 2 == 0 {
            main_thread.as_str()
        } else {
            "worker"
        };
        let head = format!(
            r#"[logtree@32473 logger="shop.db" level="{}" thread="{thread}" thread_id=""#,
            level.as_str()
        );
        assert!(line.structured_data.starts_with(&head), "{line:?}");
        if i % 2 == 0 {
            assert!(
                line.structured_data.ends_with(&format!(
                    r#"][fields@32473 n="{i}" quote="say \"hi\" \\o/ [x\]"]"#
                )),
                "{line:?}"
            );
        } else {
            assert!(line.structured_data.ends_with("\"]"), "{line:?}");
            assert!(!line.structured_data.contains("fields@"), "{line:?}");
        }
    }
}

#[test]
fn udp_rfc5424_and_rfc3164_every_record_once_at_a_light_load_and_the_loss_under_a_burst_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Rsyslog::start(dir.path());
    let address = SyslogAddress::Udp(format!("127.0.0.1:{}", daemon.udp_port));
    let rfc5424 = SyslogSink::builder()
        .address(address.clone())
        .facility(Facility::Daemon)
        .app_name("udp5424")
        .build()
        .unwrap();
    let rfc3164 = SyslogSink::builder()
        .address(address)
        .format(SyslogFormat::Rfc3164)
        .facility(Facility::Local7)
        .app_name("udp3164")
        .build()
        .unwrap();
    let (tree, logger) = tree_with(rfc5424);
    let (tree3164, logger3164) = tree_with(rfc3164);

    // A light load: 200 datagrams fit in the daemon's receive buffer, so none may be lost.
    const LIGHT: u32 = 200;
    for i in 0..LIGHT {
        logger.log(level_of(i), format_args!("light {i}"));
        logger3164.log(level_of(i), format_args!("legacy {i}"));
    }
    tree.flush().unwrap();
    tree3164.flush().unwrap();
    let lines = daemon.wait_for("every light record", |lines| {
        numbered(lines, "light ").len() == LIGHT as usize
            && numbered(lines, " legacy ").len() == LIGHT as usize
    });
    let pid = std::process::id().to_string();
    for line in &lines {
        let (n, facility, app) = if let Some(n) = line.msg.strip_prefix("light ") {
            (n, 3, "udp5424")
        } else if let Some(n) = line.msg.strip_prefix(" legacy ") {
            // RFC 3164 has no structured data, and rsyslog keeps the space after the tag.
            assert_eq!(line.structured_data, "-");
            (n, 23, "udp3164")
        } else {
            panic!("unexpected line {line:?}");
        };
        let i: u32 = n.parse().unwrap();
        assert_eq!(line.severity, severity_of(level_of(i)), "{line:?}");
        assert_eq!(line.facility, facility, "{line:?}");
        assert_eq!(line.app_name, app);
        assert_eq!(line.procid, pid);
    }
    assert!(numbered(&lines, "light ").values().all(|&c| c == 1));
    assert!(numbered(&lines, " legacy ").values().all(|&c| c == 1));

    // A burst: UDP has no flow control, so the daemon may drop datagrams; none arrives twice,
    // and the test says how many were lost.
    const BURST: u32 = 20_000;
    for i in 0..BURST {
        logger.info(format_args!("burst {i}"));
    }
    tree.flush().unwrap();
    // The end of the burst is marked over TCP-free means: a last light record, sent after the
    // flush, and so after every burst datagram left the socket.
    logger.info(format_args!("end of burst"));
    tree.flush().unwrap();
    let lines = daemon.wait_for("the end of the burst", |lines| {
        lines.iter().any(|line| line.msg == "end of burst")
    });
    let burst = numbered(&lines, "burst ");
    assert!(burst.values().all(|&c| c == 1), "a datagram arrived twice");
    eprintln!(
        "UDP burst of {BURST} records: {} arrived, {} lost by the receiver",
        burst.len(),
        BURST as usize - burst.len()
    );
    assert!(!burst.is_empty());
}

#[test]
fn tcp_daemon_restart_loses_nothing_within_the_bound_and_counts_drops_exactly_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Rsyslog::start(dir.path());
    const BOUND: usize = 300;
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Tcp(format!("127.0.0.1:{}", daemon.tcp_port)))
        .app_name("restart")
        .queue_limits(QueueLimits {
            max_records: BOUND,
            max_bytes: 1 << 20,
        })
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(100))
        .flush_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let (tree, logger) = tree_with(sink);
    let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = std::sync::Arc::clone(&errors);
    tree.set_error_handler(move |err| seen.lock().unwrap().push(err.to_string()));
    let mut next = 0u32;
    let mut log = |count: u32| {
        for _ in 0..count {
            logger.info(format_args!("record {next}"));
            next += 1;
        }
    };

    // Up: 100 records arrive.
    log(100);
    tree.flush().unwrap();
    daemon.wait_for("the first 100", |lines| {
        numbered(lines, "record ").len() == 100
    });

    // Down: 250 records (within the bound) wait, and arrive after the restart.
    daemon.stop();
    log(250);
    daemon.restart();
    tree.flush().unwrap();
    daemon.wait_for("the 250 that waited", |lines| {
        numbered(lines, "record ").len() == 350
    });
    assert!(
        !errors
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.contains("queue full")),
        "{:?}",
        errors.lock().unwrap()
    );

    // Down again: 500 records, of which the bound (300) waits and 200 are dropped.
    daemon.stop();
    log(500);
    daemon.restart();
    tree.flush().unwrap();
    let lines = daemon.wait_for("the drop count", |lines| {
        lines
            .iter()
            .any(|line| line.msg.contains("records dropped"))
    });
    let counts = numbered(&lines, "record ");
    assert!(counts.values().all(|&c| c == 1), "a record arrived twice");
    let want: Vec<u32> = (0..350 + BOUND as u32).collect();
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), want);
    let notice: Vec<&Received> = lines.iter().filter(|l| l.msg.contains("dropped")).collect();
    assert_eq!(notice.len(), 1);
    assert_eq!(
        notice[0].msg,
        "200 records dropped: the syslog queue was full while the daemon could not be reached"
    );
    assert_eq!(notice[0].severity, 4);
    // The count comes after every record that was queued before the drops.
    let notice_at = lines
        .iter()
        .position(|l| l.msg.contains("dropped"))
        .unwrap();
    assert_eq!(
        lines[..notice_at]
            .iter()
            .filter(|l| l.msg.starts_with("record "))
            .count(),
        350 + BOUND
    );
    let errors = errors.lock().unwrap();
    assert_eq!(
        errors.iter().filter(|e| e.contains("queue full")).count(),
        1,
        "{errors:?}"
    );
    drop(errors);
    tree.shutdown().unwrap();
}

#[test]
fn a_config_file_syslog_table_reaches_the_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let mut daemon = Rsyslog::start(dir.path());
    let config = dir.path().join("logtree.toml");
    std::fs::write(
        &config,
        format!(
            "console = false\nfile = false\n\n[syslog]\naddress = \"tcp://127.0.0.1:{}\"\n\
             format = \"rfc5424\"\nfacility = \"local5\"\napp_name = \"fromconfig\"\nlevel = \"info\"\n",
            daemon.tcp_port
        ),
    )
    .unwrap();
    let tree = LoggerTree::new();
    let logger = logtree::Setup::new()
        .level(LevelFilter::Debug)
        .config_file(&config)
        .ignore_env()
        .install_on(&tree, "cfg")
        .unwrap();
    logger.debug(format_args!("below the sink's level"));
    logger.info(format_args!("configured"));
    tree.flush().unwrap();
    let lines = daemon.wait_for("the configured record", |lines| {
        lines.iter().any(|line| line.msg == "configured")
    });
    let line = lines.iter().find(|line| line.msg == "configured").unwrap();
    assert_eq!((line.severity, line.facility), (6, 21));
    assert_eq!(line.app_name, "fromconfig");
    assert!(lines
        .iter()
        .all(|line| line.msg != "below the sink's level"));
    tree.shutdown().unwrap();
}

/// An rsyslogd running a configuration of the test's own; killed when dropped.
struct Relay(std::process::Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_readme_forwarding_config_keeps_a_copy_and_forwards_records_unchanged() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("read README.md");
    let start = readme
        .find("# /etc/rsyslog.d/50-logtree.conf")
        .expect("the README's rsyslog configuration");
    let block = &readme[start..start + readme[start..].find("```").unwrap()];

    // The collector: a daemon that writes what it receives.
    let collector_dir = tempfile::tempdir().unwrap();
    let mut collector = Rsyslog::start(collector_dir.path());
    // The relay: the README's configuration, on a free port, forwarding to the collector.
    let relay_dir = tempfile::tempdir().unwrap();
    let (relay_port, _) = integration_tests::rsyslog::free_ports();
    let local_copy = relay_dir.path().join("logtree.log");
    let config = block
        .replace(r#"port="5514""#, &format!(r#"port="{relay_port}""#))
        .replace("/var/log/logtree.log", &local_copy.display().to_string())
        .replace(
            r#"target="logs.example.com" port="6514""#,
            &format!(r#"target="127.0.0.1" port="{}""#, collector.tcp_port),
        );
    assert!(!config.contains("5514") && !config.contains("example.com"));
    let conf = relay_dir.path().join("relay.conf");
    std::fs::write(
        &conf,
        format!(
            "global(workDirectory=\"{}\")\n{config}",
            relay_dir.path().display()
        ),
    )
    .unwrap();
    let _relay = Relay(
        std::process::Command::new(integration_tests::rsyslog::rsyslogd())
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(relay_dir.path().join("relay.pid"))
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("start the relay"),
    );

    // No need to wait for the relay: records wait in the sink's queue until it listens.
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Tcp(format!("127.0.0.1:{relay_port}")))
        .app_name("relayed")
        .facility(Facility::Local1)
        .reconnect_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .flush_timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let (tree, logger) = tree_with(sink);
    for i in 0..100 {
        logger.warn(format_args!("relayed {i}"));
    }
    tree.flush().unwrap();
    let lines = collector.wait_for("the forwarded records", |lines| {
        numbered(lines, "relayed ").len() == 100
    });
    assert!(numbered(&lines, "relayed ").values().all(|&c| c == 1));
    let pid = std::process::id().to_string();
    for line in lines.iter().filter(|l| l.msg.starts_with("relayed ")) {
        assert_eq!((line.severity, line.facility), (4, 17), "{line:?}");
        assert_eq!(line.app_name, "relayed");
        assert_eq!(line.procid, pid);
        assert!(
            line.structured_data
                .starts_with(r#"[logtree@32473 logger="shop.db" level="WARN""#),
            "{line:?}"
        );
    }
    let copy = std::fs::read_to_string(&local_copy).expect("the relay's local copy");
    assert!(
        copy.lines().any(
            |l| l.contains(&format!(" relayed[{pid}] warning [logtree@32473 "))
                && l.ends_with("] relayed 99")
        ),
        "{copy}"
    );
    tree.shutdown().unwrap();
}
