//! A real rsyslog daemon of the test's own: `rsyslogd -n` with a generated configuration that
//! listens on loopback ports (UDP and TCP) and writes every message's raw properties to a file,
//! one line per message:
//!
//! ```text
//! severity|facility|app-name|procid|structured-data|msg
//! ```
//!
//! (rsyslog's own parse of what arrived: `%syslogseverity%`, `%syslogfacility%`,
//! `%app-name%`, `%procid%`, `%structured-data%`, `%msg%`). Control characters in a message
//! are written as rsyslog escapes them (`#012` for a line break).

use std::fs;
use std::io;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a daemon may take to start or stop, or messages to arrive.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// How often files and ports are polled.
const POLL: Duration = Duration::from_millis(10);

/// How long a probe may take to come out before it is sent again (rsyslog writes a message
/// it received within milliseconds).
const PROBE_AGAIN: Duration = Duration::from_secs(2);

/// The `rsyslogd` binary, or a panic saying how to get it: the tests must not pass without a
/// daemon (CI installs Debian's `rsyslog`).
pub fn rsyslogd() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join("rsyslogd"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "rsyslogd is not installed, and these tests need a real daemon: install Debian's \
                 rsyslog (`apt-get install -y rsyslog`; .ci/run does it when rsyslogd is absent)"
            )
        })
}

/// A free loopback port for TCP and one for UDP (bound to port 0, then released for the
/// daemon).
pub fn free_ports() -> (u16, u16) {
    let tcp = TcpListener::bind("127.0.0.1:0").expect("bind a TCP port");
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port");
    (
        tcp.local_addr().expect("TCP address").port(),
        udp.local_addr().expect("UDP address").port(),
    )
}

/// One parsed output line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// `%syslogseverity%`, 0–7.
    pub severity: u8,
    /// `%syslogfacility%`, 0–23.
    pub facility: u8,
    /// `%app-name%`.
    pub app_name: String,
    /// `%procid%`.
    pub procid: String,
    /// `%structured-data%`, `-` when none.
    pub structured_data: String,
    /// `%msg%`, without a trailing line break.
    pub msg: String,
}

/// A running (or stopped) daemon and what it wrote.
pub struct Rsyslog {
    dir: PathBuf,
    conf: PathBuf,
    /// The port imtcp listens on.
    pub tcp_port: u16,
    /// The port imudp listens on.
    pub udp_port: u16,
    /// The file the omfile action writes.
    pub output: PathBuf,
    child: Option<Child>,
    starts: u32,
}

impl Rsyslog {
    /// Starts a daemon writing into `dir`, on free ports, and waits until it answers.
    pub fn start(dir: &Path) -> Rsyslog {
        let (tcp_port, udp_port) = free_ports();
        Rsyslog::start_with(dir, tcp_port, udp_port, "")
    }

    /// Starts a daemon on the given ports, with `extra` appended to the configuration
    /// (more inputs, a forwarding action).
    pub fn start_with(dir: &Path, tcp_port: u16, udp_port: u16, extra: &str) -> Rsyslog {
        let output = dir.join("received.log");
        let conf = dir.join("rsyslog.conf");
        let config = format!(
            r#"global(workDirectory="{dir}" maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp_port}" rcvbufSize="4m")
input(type="imtcp" address="127.0.0.1" port="{tcp_port}")
template(name="raw" type="list") {{
  property(name="syslogseverity") constant(value="|")
  property(name="syslogfacility") constant(value="|")
  property(name="app-name") constant(value="|")
  property(name="procid") constant(value="|")
  property(name="structured-data") constant(value="|")
  property(name="msg" droplastlf="on") constant(value="\n")
}}
action(type="omfile" file="{output}" template="raw")
{extra}
"#,
            dir = dir.display(),
            output = output.display(),
        );
        fs::write(&conf, config).expect("write the rsyslog configuration");
        let mut daemon = Rsyslog {
            dir: dir.to_owned(),
            conf,
            tcp_port,
            udp_port,
            output,
            child: None,
            starts: 0,
        };
        daemon.restart();
        daemon
    }

    /// Starts the daemon again on the same ports (after [`stop`](Rsyslog::stop)), and waits
    /// until its TCP port accepts connections and a probe message is written.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the daemon is running");
        self.starts += 1;
        let pid_file = self.dir.join(format!("rsyslogd-{}.pid", self.starts));
        let log = fs::File::create(self.dir.join(format!("rsyslogd-{}.out", self.starts)))
            .expect("create the daemon's log");
        let child = Command::new(rsyslogd())
            .arg("-n")
            .arg("-f")
            .arg(&self.conf)
            .arg("-i")
            .arg(&pid_file)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the daemon's log"))
            .stderr(log)
            .spawn()
            .expect("start rsyslogd");
        self.child = Some(child);
        // Ready when a probe sent over TCP comes out of the file. Sent again until it does: a
        // connect made before the daemon listens can land on itself (Linux's TCP
        // self-connect, when the ephemeral source port it picks is the daemon's port), and
        // the probe then goes nowhere.
        let probe = format!("probe {}", self.starts);
        let frame = format!("<13>1 - - probe - - - {probe}");
        let deadline = Instant::now() + PATIENCE;
        let arrived = |daemon: &Rsyslog| {
            let text = fs::read_to_string(&daemon.output).unwrap_or_default();
            text.lines()
                .take(text.matches('\n').count())
                .any(|line| parse_line(line).msg == probe)
        };
        let mut sent_at: Option<Instant> = None;
        while !arrived(self) {
            self.check_alive();
            assert!(
                Instant::now() < deadline,
                "rsyslogd did not write the probe message within {PATIENCE:?}"
            );
            if sent_at.is_none_or(|at| at.elapsed() > PROBE_AGAIN) {
                if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.tcp_port)) {
                    let to_itself = stream.local_addr().ok() == stream.peer_addr().ok();
                    if !to_itself {
                        use std::io::Write;
                        let _ = write!(stream, "{} {frame}", frame.len());
                        sent_at = Some(Instant::now());
                    }
                }
            }
            std::thread::sleep(POLL);
        }
    }

    /// Stops the daemon with SIGTERM (rsyslog writes what it has received, then exits) and
    /// waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
        // SAFETY: signals our own child, which has not been waited for, so the pid is its.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        child.wait().expect("wait for rsyslogd");
    }

    /// Panics with the daemon's own output when it has exited.
    fn check_alive(&mut self) {
        if let Some(child) = &mut self.child {
            if let Ok(Some(status)) = child.try_wait() {
                let out =
                    fs::read_to_string(self.dir.join(format!("rsyslogd-{}.out", self.starts)))
                        .unwrap_or_default();
                panic!("rsyslogd exited ({status}): {out}");
            }
        }
    }

    /// Every message written so far, probes excluded.
    pub fn lines(&self) -> Vec<Received> {
        let text = match fs::read_to_string(&self.output) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
            Err(err) => panic!("read {}: {err}", self.output.display()),
        };
        text.lines()
            // A line being written may be incomplete: only whole lines count.
            .take(text.matches('\n').count())
            .map(parse_line)
            .filter(|line| line.app_name != "probe")
            .collect()
    }

    /// Polls the output until `done` holds, panicking after [`PATIENCE`] with `what`.
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = fs::read_to_string(&self.output).unwrap_or_default();
            let all: Vec<Received> = text
                .lines()
                .take(text.matches('\n').count())
                .map(parse_line)
                .collect();
            if done(&all) {
                return all.into_iter().filter(|l| l.app_name != "probe").collect();
            }
            self.check_alive();
            assert!(
                Instant::now() < deadline,
                "waited {PATIENCE:?} for {what}; {} lines arrived",
                all.len()
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Splits `severity|facility|app|procid|sd|msg`; the structured data may hold `|`, so it is
/// everything between the fourth `|` and the last `] ` … or `-|`.
fn parse_line(line: &str) -> Received {
    let mut head = line.splitn(5, '|');
    let mut next = || head.next().unwrap_or_default().to_owned();
    let (severity, facility, app_name, procid, rest) = (next(), next(), next(), next(), next());
    let (structured_data, msg) = match rest.strip_prefix("-|") {
        Some(msg) => ("-".to_owned(), msg.to_owned()),
        None => {
            let end = rest.rfind("]|").map_or(0, |i| i + 1);
            (
                rest[..end].to_owned(),
                rest[(end + 1).min(rest.len())..].to_owned(),
            )
        }
    };
    Received {
        severity: severity.parse().unwrap_or(u8::MAX),
        facility: facility.parse().unwrap_or(u8::MAX),
        app_name,
        procid,
        structured_data,
        msg,
    }
}
