//! Entries too large for one datagram: written to a sealed memfd whose descriptor is passed
//! to journald (`SCM_RIGHTS`), as `sd_journal_send` does.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::net::UnixDatagram;

/// Sends `entry` to the socket `socket` is connected to, through a memfd.
pub(crate) fn send_through_memfd(socket: &UnixDatagram, entry: &[u8]) -> io::Result<()> {
    // SAFETY: a valid NUL-terminated name and flags; the result is checked.
    let fd = unsafe {
        libc::memfd_create(
            c"logtree-journal".as_ptr(),
            libc::MFD_ALLOW_SEALING | libc::MFD_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created and is owned by nothing else.
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(entry)?;
    // journald only accepts a memfd that can no longer change.
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    // SAFETY: `fd` is open (owned by `file`); F_ADD_SEALS takes an int.
    if unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) } < 0 {
        return Err(io::Error::last_os_error());
    }
    send_fd(socket, file.as_raw_fd())
}

/// One empty datagram carrying `fd`.
fn send_fd(socket: &UnixDatagram, fd: libc::c_int) -> io::Result<()> {
    const FD_SIZE: u32 = std::mem::size_of::<libc::c_int>() as u32;
    // Room for one control message with one descriptor, aligned as cmsghdr needs.
    let mut control = [0u64; 4];
    // SAFETY: CMSG_SPACE is a pure computation.
    let space = unsafe { libc::CMSG_SPACE(FD_SIZE) } as usize;
    assert!(
        space <= std::mem::size_of_val(&control),
        "cmsg buffer too small"
    );
    // SAFETY: an all-zero msghdr is valid (no name, no data); the control buffer is ours and
    // large enough (checked above); CMSG_FIRSTHDR of a buffer that size is non-null; the
    // descriptor is copied in with an unaligned write; `sendmsg` reads only these buffers.
    unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(FD_SIZE) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>(), fd);
        if libc::sendmsg(socket.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
