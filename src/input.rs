//! Every file the tool reads is opened here: saved choices, manifests and event files, CA
//! files, and (through `outbox::entry`) entries, histories and old-script files. Only a
//! regular file is read: a FIFO would block for ever, a device would never end, a
//! directory or socket cannot be read. The file is opened without blocking (a FIFO with no
//! writer would otherwise hang in `open` itself), its type is taken from the open
//! descriptor (so it cannot change between check and read), and it is read with a bound.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::error::plain_io;
use crate::oflags::O_NONBLOCK;

/// Opens `path` for reading, without waiting and with the extra open(2) `flags` (e.g.
/// `O_NOFOLLOW`), when it is a regular file. Anything else is an `InvalidData` error whose
/// words say what it is ("a FIFO, not a regular file").
pub fn open(path: &Path, flags: i32) -> io::Result<(File, Metadata)> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK | flags)
        .open(path)
        .map_err(|e| {
            // open() on a socket fails with ENXIO, "No such device or address".
            let socket = e.raw_os_error() == Some(6)
                && std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket());
            if socket { not_regular("a socket") } else { e }
        })?;
    let meta = file.metadata()?;
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok((file, meta));
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(not_regular(what))
}

fn not_regular(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what}, not a regular file"),
    )
}

/// At most `limit + 1` bytes of a regular file (so that the caller can tell "too large").
/// Read to the end of the bound, not to the size `fstat` gives: files under /proc say 0.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let (file, _) = open(path, 0)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The words for a failed `open` or `read`, without the name (which the caller prints):
/// "a FIFO, not a regular file", "cannot read: No such file or directory".
pub fn words(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::InvalidData {
        e.to_string()
    } else {
        format!("cannot read: {}", plain_io(e))
    }
}

/// `read`, with the error in words.
pub fn read_regular(path: &str, limit: u64) -> Result<Vec<u8>, String> {
    read(Path::new(path), limit).map_err(|e| words(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        assert!(
            read_regular("/dev/null", 1)
                .unwrap_err()
                .contains("a device")
        );
        assert!(read_regular("/", 1).unwrap_err().contains("a directory"));
        assert!(
            read_regular("/nonexistent/x", 1)
                .unwrap_err()
                .contains("cannot read: No such file")
        );
        assert!(read_regular("Cargo.toml", 1 << 20).is_ok());
        assert_eq!(read_regular("Cargo.toml", 3).unwrap().len(), 4, "bound + 1");
    }
}
