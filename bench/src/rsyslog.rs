//! The syslog workload's daemon: `rsyslogd -n` with a generated configuration, listening on a
//! free loopback TCP port and writing each message as the line of issue 7, so that the
//! runner's file check accounts for every record.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::BoxError;

/// How long the daemon may take to start, or to write what it received.
const PATIENCE: Duration = Duration::from_secs(120);

/// A running rsyslogd, killed when dropped.
pub struct Rsyslog {
    child: Child,
    /// Its configuration and pid file, kept apart from the directory the check reads.
    _state: tempfile::TempDir,
    /// The port imtcp listens on.
    pub tcp_port: u16,
    output: PathBuf,
}

impl Rsyslog {
    /// Starts a daemon that writes `<dir>/received.log`; waits until its port accepts.
    pub fn start(dir: &Path) -> Result<Rsyslog, BoxError> {
        let binary = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or("the syslog workload needs rsyslogd (Debian: apt-get install rsyslog)")?;
        let state = tempfile::tempdir()?;
        let tcp_port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let output = dir.join("received.log");
        // The line of issue 7 with a fixed timestamp: the check compares record numbers.
        let conf = format!(
            r#"global(workDirectory="{state}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{tcp_port}")
template(name="line" type="string" string="2000-01-01 00:00:00.000 - app.module - INFO - %msg%\n")
action(type="omfile" file="{output}" template="line" asyncWriting="on" ioBufferSize="1m")
"#,
            state = state.path().display(),
            output = output.display(),
        );
        let conf_path = state.path().join("rsyslog.conf");
        fs::write(&conf_path, conf)?;
        let child = Command::new(binary)
            .arg("-n")
            .arg("-f")
            .arg(&conf_path)
            .arg("-i")
            .arg(state.path().join("rsyslogd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let daemon = Rsyslog {
            child,
            _state: state,
            tcp_port,
            output,
        };
        let deadline = Instant::now() + PATIENCE;
        while std::net::TcpStream::connect(("127.0.0.1", tcp_port)).is_err() {
            if Instant::now() > deadline {
                return Err("rsyslogd did not open its TCP port".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(daemon)
    }

    /// Waits until the output holds `count` lines (or stops growing for 5 s), then stops the
    /// daemon so that the check reads a finished file.
    pub fn wait_for_lines(mut self, count: u64) -> Result<(), BoxError> {
        let deadline = Instant::now() + PATIENCE;
        let (mut last, mut since) = (0, Instant::now());
        loop {
            let lines = fs::read(&self.output).map_or(0, |b| bytecount_lines(&b));
            if lines >= count || since.elapsed() > Duration::from_secs(5) {
                break;
            }
            if lines != last {
                (last, since) = (lines, Instant::now());
            }
            if Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bytecount_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}
