//! Files given as input are read only when they are regular files: a FIFO would block
//! for ever, a device would never end, a directory or socket cannot be read. The file is
//! opened without blocking (a FIFO with no writer would otherwise hang in `open`) and its
//! type taken from the open descriptor, so it cannot change between check and read.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

use crate::error::plain_io;
use crate::oflags::O_NONBLOCK;

/// Opens `path` for reading if it is a regular file; the error is in plain words
/// (without the name, which the caller prints).
pub fn open_regular(path: &str) -> Result<File, String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(path)
        .map_err(|e| match std::fs::metadata(path) {
            // open() on a socket fails with "No such device or address".
            Ok(m) if m.file_type().is_socket() => "a socket, not a regular file".to_string(),
            _ => format!("cannot read: {}", plain_io(&e)),
        })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read: {}", plain_io(&e)))?;
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok(file);
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
    Err(format!("{what}, not a regular file"))
}

/// Reads at most `limit + 1` bytes of a regular file (the caller tells "too large").
pub fn read_regular(path: &str, limit: u64) -> Result<Vec<u8>, String> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {}", plain_io(&e)))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_are_read() {
        assert!(open_regular("/dev/null").unwrap_err().contains("a device"));
        assert!(open_regular("/").unwrap_err().contains("a directory"));
        assert!(
            open_regular("/nonexistent/x")
                .unwrap_err()
                .contains("No such file")
        );
        assert!(read_regular("Cargo.toml", 1 << 20).is_ok());
    }
}
