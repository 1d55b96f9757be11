//! open(2) flags that std does not name, for `OpenOptionsExt::custom_flags` (no libc). The
//! values differ between architectures: x86 and most others use the generic ones; arm,
//! aarch64, powerpc and m68k their own. Elsewhere they are 0, and the checks made after
//! opening (file type, same inode as the name) still hold.

const GENERIC: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "riscv64",
    target_arch = "s390x",
    target_arch = "loongarch64"
));
const OWN: bool = cfg!(any(
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "m68k"
));

/// Fail instead of following a symlink in the last component.
pub const O_NOFOLLOW: i32 = if GENERIC {
    0o400_000
} else if OWN {
    0o100_000
} else {
    0
};

/// Return at once whatever the file is: opening a FIFO never waits for a writer.
pub const O_NONBLOCK: i32 = if GENERIC || OWN { 0o4000 } else { 0 };

/// Reading does not update the access time: a replay reads each entry and its history
/// once and then deletes them, and an access-time update (a fresh file's first read,
/// under relatime) dirties its inode for the journal. Only for files one owns (else EPERM).
pub const O_NOATIME: i32 = if GENERIC || OWN { 0o1_000_000 } else { 0 };
