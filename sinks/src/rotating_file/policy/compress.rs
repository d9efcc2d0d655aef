//! Compressing a finished file, crash-safely: into a temporary name, `fsync`, rename into the
//! final name, then remove the original. A crash at any point leaves the plain file or the
//! finished archive (or, between the rename and the removal, both with the same content),
//! never neither, and never a partial archive under the final name.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

use super::names::Form;

/// How backups are compressed once rolled over: not at all, gzip (`.gz`), or zstd (`.zst`).
///
/// Compression runs on the writer's background thread, never in a log call. Every numbered
/// backup is compressed, and the file of a period that is over.
///
/// ```
/// use logtree_sinks::{Compression, RotatingFileSink};
///
/// let dir = tempfile::tempdir()?;
/// let sink = RotatingFileSink::builder("App").dir(dir.path()).compress(Compression::Zstd).build()?;
/// # drop(sink);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Compression {
    /// Backups stay plain text (the default).
    #[default]
    None,
    /// gzip, level 6 (`.gz`): readable by `zcat`, `zless`, `zgrep` everywhere.
    Gzip,
    /// zstd, level 3 (`.zst`): faster and smaller than gzip; `zstdcat`, `zstdgrep`.
    Zstd,
}

impl Compression {
    /// The form archives take, `None` when backups stay plain.
    pub(crate) fn form(self) -> Option<Form> {
        match self {
            Compression::None => None,
            Compression::Gzip => Some(Form::Gzip),
            Compression::Zstd => Some(Form::Zstd),
        }
    }
}

/// Compresses `plain` into `partial`, makes it durable, renames it to `archive` and removes
/// `plain`. The archive keeps the plain file's permissions and modification time (retention
/// by age reads it).
pub(crate) fn compress_file(
    plain: &Path,
    partial: &Path,
    archive: &Path,
    form: Form,
) -> io::Result<()> {
    let (source, meta) = open_regular(plain)?;
    let out = create_no_follow(partial, &meta)?;
    let out = encode(BufReader::with_capacity(256 * 1024, source), out, form)?;
    install(out, &meta, plain, partial, archive)
}

/// Appends `plain`'s content to `archive` as a member (gzip) or frame (zstd) of its own, the
/// same way: the archive's bytes and the new member into `partial`, durable, renamed over
/// `archive`, then `plain` removed. For a period's file written again after it was
/// compressed (the clock set back): its records follow the archived ones.
pub(crate) fn append_to_archive(
    plain: &Path,
    partial: &Path,
    archive: &Path,
    form: Form,
) -> io::Result<()> {
    let (source, meta) = open_regular(plain)?;
    let (mut old, old_meta) = open_regular(archive)?;
    let mut out = create_no_follow(partial, &old_meta)?;
    io::copy(&mut old, &mut out)?;
    let out = encode(BufReader::with_capacity(256 * 1024, source), out, form)?;
    install(out, &meta, plain, partial, archive)
}

fn open_regular(path: &Path) -> io::Result<(File, fs::Metadata)> {
    let file = open_no_follow(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok((file, meta))
}

/// The end of both: `out` (the partial archive) takes `plain`'s modification time, is made
/// durable and renamed to `archive`; then `plain` goes.
fn install(
    out: File,
    plain_meta: &fs::Metadata,
    plain: &Path,
    partial: &Path,
    archive: &Path,
) -> io::Result<()> {
    if let Ok(modified) = plain_meta.modified() {
        out.set_modified(modified)?;
    }
    out.sync_all()?;
    drop(out);
    fs::rename(partial, archive)?;
    if let Some(dir) = archive.parent() {
        sync_dir(dir)?;
    }
    fs::remove_file(plain)
}

/// The whole decompressed content of an archive of `form` (a plain file as it is).
#[cfg(test)]
pub(crate) fn read_decompressed(path: &Path, form: Form) -> io::Result<Vec<u8>> {
    let mut text = Vec::new();
    decoder(open_no_follow(path)?, form)?.read_to_end(&mut text)?;
    Ok(text)
}

/// Whether the decompressed content of `archive` ends with the content of `plain` (or is
/// it): then `plain` is a leftover of a crash between the rename and the removal of
/// [`compress_file`] or [`append_to_archive`]. Two passes over the archive, no more memory
/// than a buffer.
pub(crate) fn archive_ends_with(plain: &Path, archive: &Path, form: Form) -> io::Result<bool> {
    let (plain, meta) = open_regular(plain)?;
    let total = io::copy(
        &mut decoder(open_no_follow(archive)?, form)?,
        &mut io::sink(),
    )?;
    let Some(skip) = total.checked_sub(meta.len()) else {
        return Ok(false);
    };
    let mut archived = decoder(open_no_follow(archive)?, form)?;
    io::copy(&mut (&mut archived).take(skip), &mut io::sink())?;
    let mut left = BufReader::new(plain);
    let mut right = BufReader::new(archived);
    let (mut a, mut b) = (vec![0; 64 * 1024], vec![0; 64 * 1024]);
    loop {
        let n = left.read(&mut a)?;
        if n == 0 {
            return Ok(right.read(&mut b[..1])? == 0);
        }
        if right.read_exact(&mut b[..n]).is_err() || a[..n] != b[..n] {
            return Ok(false);
        }
    }
}

fn decoder(file: File, form: Form) -> io::Result<Box<dyn Read>> {
    Ok(match form {
        Form::Plain => Box::new(file),
        // Multi-member: `cat a.gz b.gz > c.gz` is a valid gzip file.
        Form::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
        Form::Zstd => Box::new(zstd::stream::read::Decoder::new(file)?),
    })
}

fn encode(input: impl Read, out: File, form: Form) -> io::Result<File> {
    let mut input = Yielding {
        inner: input,
        since_yield: 0,
    };
    match form {
        Form::Plain => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no compressor for a plain file",
        )),
        Form::Gzip => {
            let mut encoder = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            io::copy(&mut input, &mut encoder)?;
            encoder.finish()
        }
        Form::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(out, 3)?;
            io::copy(&mut input, &mut encoder)?;
            let mut out = encoder.finish()?;
            out.flush()?;
            Ok(out)
        }
    }
}

/// How much input the compressor takes between two yields of the CPU: ~0.2-0.5 ms of gzip.
const YIELD_EVERY: usize = 16 * 1024;

/// The compressor's input, giving up the CPU every [`YIELD_EVERY`] bytes. Compressing a 10 MiB
/// backup is ~0.1 s of CPU; where it shares a core with a thread that logs (more runnable
/// threads than cores), the scheduler would otherwise let it run until the next tick, and a
/// log call waited that long (4 ms measured, a thread pinned to one CPU). A lower priority
/// (nice 19, `SCHED_IDLE`) did not help: nothing but a tick or a yield ends its turn.
struct Yielding<R> {
    inner: R,
    since_yield: usize,
}

impl<R: Read> Read for Yielding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.since_yield >= YIELD_EVERY {
            self.since_yield = 0;
            std::thread::yield_now();
        }
        let n = self.inner.read(buf)?;
        self.since_yield += n;
        Ok(n)
    }
}

/// Opens for reading without following a symbolic link at the name (unix): a link planted at
/// a backup's name must not make the archiver read (and then delete the name of) another file.
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Creates (or truncates) the partial archive with the plain file's permissions, never
/// following a link at its name.
fn create_no_follow(path: &Path, like: &fs::Metadata) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options
            .custom_flags(libc::O_NOFOLLOW)
            .mode(like.permissions().mode() & 0o7777);
    }
    #[cfg(not(unix))]
    let _ = like;
    options.open(path)
}

/// Makes a rename in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        (0..20_000)
            .flat_map(|i| {
                format!("2025-06-28 14:25:23.123 - app - INFO - request {i}\n").into_bytes()
            })
            .collect()
    }

    #[test]
    fn archives_round_trip_and_replace_the_plain_file() {
        for form in [Form::Gzip, Form::Zstd] {
            let dir = tempfile::tempdir().unwrap();
            let plain = dir.path().join("a.log.1");
            let partial = dir.path().join(format!("a.log.1{}.tmp", form.suffix()));
            let archive = dir.path().join(format!("a.log.1{}", form.suffix()));
            let text = sample();
            fs::write(&plain, &text).unwrap();
            let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1 << 30);
            File::options()
                .write(true)
                .open(&plain)
                .unwrap()
                .set_modified(old)
                .unwrap();
            compress_file(&plain, &partial, &archive, form).unwrap();
            assert!(!plain.exists() && !partial.exists());
            let size = fs::metadata(&archive).unwrap().len();
            assert!(size * 5 < text.len() as u64, "{form:?}: {size} bytes");
            assert_eq!(read_decompressed(&archive, form).unwrap(), text);
            assert_eq!(fs::metadata(&archive).unwrap().modified().unwrap(), old);
        }
    }

    #[test]
    fn a_leftover_is_told_from_a_file_written_again_and_that_one_is_appended() {
        for form in [Form::Gzip, Form::Zstd] {
            let dir = tempfile::tempdir().unwrap();
            let plain = dir.path().join("a");
            let archive = dir.path().join("a.z");
            let partial = dir.path().join("t");
            fs::write(&plain, sample()).unwrap();
            let copy = dir.path().join("copy");
            fs::copy(&plain, &copy).unwrap();
            compress_file(&copy, &partial, &archive, form).unwrap();
            assert!(archive_ends_with(&plain, &archive, form).unwrap());
            fs::write(&plain, b"").unwrap();
            assert!(archive_ends_with(&plain, &archive, form).unwrap());
            let mut longer = sample();
            longer.extend_from_slice(b"one more line\n");
            fs::write(&plain, &longer).unwrap();
            assert!(!archive_ends_with(&plain, &archive, form).unwrap());
            fs::write(&plain, b"written again\n").unwrap();
            assert!(!archive_ends_with(&plain, &archive, form).unwrap());
            // Appended: the old records, then the new; the plain file is then a leftover.
            fs::copy(&plain, &copy).unwrap();
            append_to_archive(&copy, &partial, &archive, form).unwrap();
            assert!(!copy.exists() && !partial.exists());
            let mut both = sample();
            both.extend_from_slice(b"written again\n");
            assert_eq!(read_decompressed(&archive, form).unwrap(), both);
            assert!(archive_ends_with(&plain, &archive, form).unwrap());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_plain_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("secret");
        fs::write(&target, "keep").unwrap();
        let link = dir.path().join("a.log.1");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let archive = dir.path().join("a.log.1.gz");
        assert!(compress_file(&link, &dir.path().join("t"), &archive, Form::Gzip).is_err());
        assert!(!archive.exists());
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
    }
}
