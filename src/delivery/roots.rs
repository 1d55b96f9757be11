//! The CA certificates a TLS connection trusts: the system store, through the platform
//! verifier, unless SSL_CERT_FILE or SSL_CERT_DIR names others, as curl and OpenSSL read
//! them (the file, then every regular file in each `:`-separated directory, symlinks
//! followed as `openssl rehash` makes them). Those are read here, like every file the tool
//! reads (`input`): opened without blocking, regular files only, each with a bound, so a
//! FIFO or a device named there is one clear line at once, never a hang in the verifier.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::{self, PemObject as _};
use ureq::tls::{Certificate, RootCerts};

use crate::error::{UsageError, plain_io, printable};
use crate::input;
use crate::settings::{non_empty, var};

/// A CA file larger than this is not one (the whole Mozilla bundle is about 200 KiB).
const MAX_CA_FILE: u64 = 16 * 1024 * 1024;

/// The roots for a connection that uses TLS. SSL_CERT_FILE, when set, must be a readable
/// regular file holding a PEM certificate: curl stops on a bad one, and without this the
/// words would be "unknown issuer".
pub fn roots() -> Result<RootCerts, UsageError> {
    let file = non_empty("SSL_CERT_FILE");
    let dirs: Vec<PathBuf> = var("SSL_CERT_DIR")
        .map(|v| {
            std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default();
    if file.is_none() && dirs.is_empty() {
        return Ok(RootCerts::PlatformVerifier);
    }
    let mut certs = Vec::new();
    if let Some(path) = &file {
        let bad = |why: String| UsageError(format!("SSL_CERT_FILE: {}: {why}", printable(path)));
        match pem_certs(Path::new(path), &mut certs) {
            Ok(0) => return Err(bad("holds no PEM certificate".into())),
            Ok(_) => {}
            Err(e) => return Err(bad(input::words(&e))),
        }
    }
    for dir in &dirs {
        let shown = printable(&dir.display().to_string());
        let listing = std::fs::read_dir(dir).map_err(|e| {
            UsageError(format!(
                "SSL_CERT_DIR: {shown}: cannot read: {}",
                plain_io(&e)
            ))
        })?;
        // As OpenSSL: what is not a readable regular PEM file is passed over.
        for entry in listing.flatten() {
            let _ = pem_certs(&entry.path(), &mut certs);
        }
    }
    // None at all: nothing is trusted, and the handshake says so ("not trusted"), as curl.
    Ok(RootCerts::from(certs))
}

/// Adds the certificates of one PEM file (`input::open`, then at most `MAX_CA_FILE`
/// bytes, through the same PEM reader the platform verifier uses); returns how many.
fn pem_certs(path: &Path, certs: &mut Vec<Certificate<'static>>) -> std::io::Result<usize> {
    let (file, meta) = input::open(path, 0)?;
    if meta.len() > MAX_CA_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "larger than 16 MiB",
        ));
    }
    let before = certs.len();
    for item in CertificateDer::pem_reader_iter(file.take(MAX_CA_FILE)) {
        match item {
            Ok(cert) => certs.push(Certificate::from_der(cert.as_ref()).to_owned()),
            // A read that fails would fail again: stop. A bad section is passed over.
            Err(pem::Error::Io(_)) => break,
            Err(_) => {}
        }
    }
    Ok(certs.len() - before)
}
