//! A forked child never sends what its parent had queued for the syslog daemon, and its own
//! records go out from a sender thread of its own, with its own PROCID.

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use integration_tests::child::run_in_child;
use logtree_core::{Record, Sink};
use logtree_sinks::{SyslogAddress, SyslogSink};

/// The messages of octet-counted frames.
fn frames(mut bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(space) = bytes.iter().position(|&b| b == b' ') {
        let len: usize = std::str::from_utf8(&bytes[..space])
            .unwrap()
            .parse()
            .unwrap();
        out.push(String::from_utf8_lossy(&bytes[space + 1..space + 1 + len]).into_owned());
        bytes = &bytes[space + 1 + len..];
    }
    out
}

/// Logs `text`; the error of a daemon that is down (reported once, the record queued) is
/// what the tree's error handler would get.
fn log(sink: &SyslogSink, text: &str) {
    let _ = sink.log(&Record::builder().args(format_args!("{text}")).build());
}

#[test]
fn a_forked_child_does_not_send_its_parents_queue() {
    // In a child process of its own, so that no other test thread exists at the fork.
    run_in_child(
        "a_forked_child_does_not_send_its_parents_queue",
        |_| {},
        || {
            // The daemon is down while the parent queues its records.
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let sink = SyslogSink::builder()
                .address(SyslogAddress::Tcp(format!("127.0.0.1:{port}")))
                .app_name("forktest")
                .reconnect_backoff(Duration::from_millis(5), Duration::from_millis(20))
                .flush_timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            for i in 0..10 {
                log(&sink, &format!("parent {i}"));
            }

            // SAFETY: this process runs one test thread (and the sink's sender); the child only
            // logs, flushes and leaves with _exit.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                for i in 0..3 {
                    log(&sink, &format!("child {i}"));
                }
                let code = i32::from(sink.flush().is_err());
                // SAFETY: ends the child without running the parent's exit handlers twice.
                unsafe { libc::_exit(code) };
            }

            let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
            let mut status = 0;
            // SAFETY: waits for the child forked above.
            assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
            assert!(
                libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
                "the child's flush failed: its records never left"
            );
            sink.flush().unwrap();
            sink.shutdown().unwrap();
            drop(sink);
            // Both connections are done: take whatever the backlog holds.
            listener.set_nonblocking(true).unwrap();
            let mut connections = Vec::new();
            while let Ok((connection, _)) = listener.accept() {
                connection.set_nonblocking(false).unwrap();
                connections.push(connection);
            }

            let mut received = Vec::new();
            for mut connection in connections {
                let mut bytes = Vec::new();
                connection.read_to_end(&mut bytes).unwrap();
                received.extend(frames(&bytes));
            }
            let with = |prefix: &str, pid: u32| -> Vec<String> {
                received
                    .iter()
                    .filter(|m| m.contains(&format!(" forktest {pid} ")))
                    .filter_map(|m| m.split("] ").nth(1).filter(|t| t.starts_with(prefix)))
                    .map(str::to_owned)
                    .collect()
            };
            let parent = std::process::id();
            let child = u32::try_from(pid).unwrap();
            assert_eq!(
                with("parent", parent),
                (0..10).map(|i| format!("parent {i}")).collect::<Vec<_>>()
            );
            assert_eq!(
                with("child", child),
                (0..3).map(|i| format!("child {i}")).collect::<Vec<_>>()
            );
            assert_eq!(received.len(), 13, "{received:#?}");
        },
    );
}
