//! Where messages go: a unix datagram socket (`/dev/log`), UDP, or TCP with RFC 6587
//! octet-counting framing; and the `Transport` trait the background sender drives.

use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use logtree_core::Error;

/// How long a connect or a write may take before the sender gives up on it and retries
/// later: the sender's thread waits, never the caller.
const IO_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a [`SyslogSink`](crate::SyslogSink) sends its messages.
///
/// Parsed from `unix:/dev/log` (the default), `udp://host:port` or `tcp://host:port`:
///
/// ```
/// use logtree_sinks::SyslogAddress;
/// assert_eq!("udp://127.0.0.1:5514".parse::<SyslogAddress>()?, SyslogAddress::Udp("127.0.0.1:5514".into()));
/// assert_eq!(SyslogAddress::default(), SyslogAddress::Unix("/dev/log".into()));
/// assert_eq!(SyslogAddress::default().to_string(), "unix:/dev/log");
/// assert!("http://x:1".parse::<SyslogAddress>().is_err());
/// # Ok::<(), logtree_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyslogAddress {
    /// A local datagram socket, as `syslog(3)` uses.
    Unix(PathBuf),
    /// A `host:port` reached by UDP (RFC 5426), one message per datagram.
    Udp(String),
    /// A `host:port` reached by TCP, each message framed as `LEN SP MSG` (RFC 6587
    /// octet-counting, which rsyslog and syslog-ng read; messages may then hold line breaks).
    Tcp(String),
}

impl Default for SyslogAddress {
    fn default() -> SyslogAddress {
        SyslogAddress::Unix(PathBuf::from("/dev/log"))
    }
}

impl fmt::Display for SyslogAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyslogAddress::Unix(path) => write!(f, "unix:{}", path.display()),
            SyslogAddress::Udp(host) => write!(f, "udp://{host}"),
            SyslogAddress::Tcp(host) => write!(f, "tcp://{host}"),
        }
    }
}

impl FromStr for SyslogAddress {
    type Err = Error;

    fn from_str(text: &str) -> Result<SyslogAddress, Error> {
        let invalid = |reason: String| Error::InvalidOption {
            option: "syslog address".to_owned(),
            reason,
        };
        let host_port = |rest: &str| {
            let (host, port) = rest.rsplit_once(':').ok_or_else(|| {
                invalid(format!(
                    "{text:?} has no port: write host:port, as in udp://127.0.0.1:514"
                ))
            })?;
            if host.is_empty() || port.parse::<u16>().map_or(true, |p| p == 0) {
                return Err(invalid(format!(
                    "{text:?} needs a host and a port from 1 to 65535"
                )));
            }
            Ok(rest.to_owned())
        };
        if let Some(rest) = text.strip_prefix("udp://") {
            host_port(rest).map(SyslogAddress::Udp)
        } else if let Some(rest) = text.strip_prefix("tcp://") {
            host_port(rest).map(SyslogAddress::Tcp)
        } else if let Some(path) = text.strip_prefix("unix:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(invalid(format!("{text:?} names no socket path")));
            }
            Ok(SyslogAddress::Unix(PathBuf::from(path)))
        } else {
            Err(invalid(format!(
                "{text:?} is not an address: use unix:/dev/log, udp://host:port or tcp://host:port"
            )))
        }
    }
}

/// One connection to a daemon, driven by the background sender.
pub(crate) trait Transport: Send + 'static {
    /// Opens the connection; called while [`connected`](Transport::connected) is false.
    fn connect(&mut self) -> io::Result<()>;

    /// Whether a connection is open (it may still turn out to be broken on the next send).
    fn connected(&self) -> bool;

    /// Drops the connection, so that the next send reconnects.
    fn disconnect(&mut self);

    /// Sends `records` in order. On an error, the first `sent` records went out and the
    /// rest did not (a record half-written on a broken TCP connection counts as not sent).
    fn send(&mut self, records: &[Vec<u8>]) -> Result<(), (usize, io::Error)>;
}

/// The transport for an address.
pub(crate) fn transport_for(address: &SyslogAddress) -> Box<dyn Transport> {
    match address {
        SyslogAddress::Unix(path) => Box::new(UnixTransport::new(path.clone())),
        SyslogAddress::Udp(host) => Box::new(UdpTransport {
            host: host.clone(),
            socket: None,
        }),
        SyslogAddress::Tcp(host) => Box::new(TcpTransport {
            host: host.clone(),
            stream: None,
            frames: Vec::new(),
        }),
    }
}

/// A unix datagram socket: `/dev/log`, or journald's socket.
pub(crate) struct UnixTransport {
    path: PathBuf,
    pub(crate) socket: Option<UnixDatagram>,
}

impl UnixTransport {
    pub(crate) fn new(path: PathBuf) -> UnixTransport {
        UnixTransport { path, socket: None }
    }
}

impl Transport for UnixTransport {
    fn connect(&mut self) -> io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        socket.connect(&self.path)?;
        socket.set_write_timeout(Some(IO_TIMEOUT))?;
        self.socket = Some(socket);
        Ok(())
    }

    fn connected(&self) -> bool {
        self.socket.is_some()
    }

    fn disconnect(&mut self) {
        self.socket = None;
    }

    fn send(&mut self, records: &[Vec<u8>]) -> Result<(), (usize, io::Error)> {
        let socket = self.socket.as_ref().ok_or((0, not_connected()))?;
        send_each(records, |record| socket.send(record))
    }
}

/// UDP: one datagram per message, on a connected socket so that an ICMP "port unreachable"
/// comes back as an error on a later send.
struct UdpTransport {
    host: String,
    socket: Option<UdpSocket>,
}

impl Transport for UdpTransport {
    fn connect(&mut self) -> io::Result<()> {
        let addr = resolve(&self.host)?;
        let local: SocketAddr = if addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        socket.set_write_timeout(Some(IO_TIMEOUT))?;
        self.socket = Some(socket);
        Ok(())
    }

    fn connected(&self) -> bool {
        self.socket.is_some()
    }

    fn disconnect(&mut self) {
        self.socket = None;
    }

    fn send(&mut self, records: &[Vec<u8>]) -> Result<(), (usize, io::Error)> {
        let socket = self.socket.as_ref().ok_or((0, not_connected()))?;
        send_each(records, |record| socket.send(record))
    }
}

/// TCP with octet-counting framing.
struct TcpTransport {
    host: String,
    stream: Option<TcpStream>,
    /// The frames of one batch, reused.
    frames: Vec<u8>,
}

/// Frames are written in writes of about this size, so that a batch costs few system calls.
const WRITE_CHUNK: usize = 64 * 1024;

impl Transport for TcpTransport {
    fn connect(&mut self) -> io::Result<()> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
        for addr in self.host.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    stream.set_write_timeout(Some(IO_TIMEOUT))?;
                    self.stream = Some(stream);
                    return Ok(());
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    fn connected(&self) -> bool {
        self.stream.is_some()
    }

    fn disconnect(&mut self) {
        self.stream = None;
    }

    fn send(&mut self, records: &[Vec<u8>]) -> Result<(), (usize, io::Error)> {
        let stream = self.stream.as_mut().ok_or((0, not_connected()))?;
        // A daemon that went away has closed its end: bytes written now would be accepted by
        // our kernel and lost. Checking first turns that into a reconnect.
        if peer_closed(stream) {
            return Err((0, io::Error::from(io::ErrorKind::ConnectionReset)));
        }
        let mut done = 0;
        while done < records.len() {
            self.frames.clear();
            let mut ends = Vec::new();
            for record in &records[done..] {
                self.frames
                    .extend_from_slice(record.len().to_string().as_bytes());
                self.frames.push(b' ');
                self.frames.extend_from_slice(record);
                ends.push(self.frames.len());
                if self.frames.len() >= WRITE_CHUNK {
                    break;
                }
            }
            let mut written = 0;
            while written < self.frames.len() {
                match stream.write(&self.frames[written..]) {
                    Ok(0) => {
                        let whole = ends.iter().take_while(|&&end| end <= written).count();
                        return Err((done + whole, io::Error::from(io::ErrorKind::WriteZero)));
                    }
                    Ok(n) => written += n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => {
                        let whole = ends.iter().take_while(|&&end| end <= written).count();
                        return Err((done + whole, err));
                    }
                }
            }
            done += ends.len();
        }
        Ok(())
    }
}

/// Whether the other end of `stream` has closed (or reset) the connection: a syslog daemon
/// never sends anything, so anything readable is the end of the stream.
fn peer_closed(stream: &TcpStream) -> bool {
    let mut poll = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLIN | libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd for a descriptor `stream` keeps open during the call; a zero
    // timeout never blocks.
    let ready = unsafe { libc::poll(&mut poll, 1, 0) };
    ready > 0 && poll.revents != 0
}

fn resolve(host: &str) -> io::Result<SocketAddr> {
    host.to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "the host name has no address"))
}

/// Sends one datagram per record, in order, until one fails.
fn send_each(
    records: &[Vec<u8>],
    send: impl Fn(&[u8]) -> io::Result<usize>,
) -> Result<(), (usize, io::Error)> {
    for (i, record) in records.iter().enumerate() {
        send(record).map_err(|err| (i, err))?;
    }
    Ok(())
}

fn not_connected() -> io::Error {
    io::Error::from(io::ErrorKind::NotConnected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn addresses_parse_and_bad_ones_say_why() {
        assert_eq!(
            "tcp://localhost:601".parse::<SyslogAddress>().unwrap(),
            SyslogAddress::Tcp("localhost:601".into())
        );
        assert_eq!(
            "unix:///run/x.sock".parse::<SyslogAddress>().unwrap(),
            SyslogAddress::Unix("/run/x.sock".into())
        );
        for (bad, why) in [
            ("udp://127.0.0.1", "has no port"),
            ("udp://127.0.0.1:0", "port from 1 to 65535"),
            ("tcp://:514", "needs a host"),
            ("unix:", "names no socket path"),
            ("127.0.0.1:514", "is not an address"),
        ] {
            let err = bad.parse::<SyslogAddress>().unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn tcp_frames_count_octets_and_a_closed_peer_is_noticed_before_writing() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = SyslogAddress::Tcp(listener.local_addr().unwrap().to_string());
        let mut transport = transport_for(&address);
        transport.connect().unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        transport
            .send(&[b"<14>1 a".to_vec(), "é\nb".as_bytes().to_vec()])
            .unwrap();
        transport.disconnect();
        let mut got = String::new();
        peer.read_to_string(&mut got).unwrap();
        assert_eq!(got, "7 <14>1 a4 é\nb");

        transport.connect().unwrap();
        let (peer, _) = listener.accept().unwrap();
        drop(peer);
        // The peer's FIN arrives over loopback before connect's caller can act on it.
        let mut seen_closed = false;
        for _ in 0..1000 {
            if let Err((sent, _)) = transport.send(&[b"x".to_vec()]) {
                assert_eq!(sent, 0);
                seen_closed = true;
                break;
            }
        }
        assert!(seen_closed, "a closed peer went unnoticed");
    }
}
