//! Revision checksums: a documented, versioned format that is stable across platforms.
//!
//! Format `v1:sha256:<64 lowercase hex digits>`: SHA-256 over the file's bytes after a leading
//! UTF-8 byte-order mark is removed and every CRLF is replaced by LF. A file checked out with
//! Windows line endings therefore has the same checksum as the same file with Unix ones. Any
//! other change, including whitespace, changes the checksum.

use sha2::{Digest, Sha256};

/// The prefix of checksums in the current format.
pub const CHECKSUM_PREFIX: &str = "v1:sha256:";

/// Removes a leading UTF-8 byte-order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The checksum of a revision file's contents, in the `v1:sha256:` format.
pub fn checksum(bytes: &[u8]) -> String {
    let bytes = strip_bom(bytes);
    let mut hasher = Sha256::new();
    let mut start = 0;
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\r' && bytes[i + 1] == b'\n' {
            hasher.update(&bytes[start..i]);
            start = i + 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    hasher.update(&bytes[start..]);
    hex_digest(&hasher.finalize())
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// SHA-256 over `parts` (each followed by a NUL byte), as `v1:sha256:<hex>`.
pub(crate) fn digest_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex_digest(&hasher.finalize())
}

fn hex_digest(digest: &[u8]) -> String {
    let mut out = String::with_capacity(CHECKSUM_PREFIX.len() + 64);
    out.push_str(CHECKSUM_PREFIX);
    for &byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_lf_and_bom_give_one_checksum() {
        let lf = checksum(b"-- revision: a\n-- down_revision:\n\n-- upgrade\nSELECT 1;\n");
        let crlf =
            checksum(b"-- revision: a\r\n-- down_revision:\r\n\r\n-- upgrade\r\nSELECT 1;\r\n");
        let bom =
            checksum(b"\xEF\xBB\xBF-- revision: a\n-- down_revision:\n\n-- upgrade\nSELECT 1;\n");
        assert_eq!(lf, crlf);
        assert_eq!(lf, bom);
        assert!(lf.starts_with("v1:sha256:"));
        assert_eq!(lf.len(), "v1:sha256:".len() + 64);
    }

    #[test]
    fn known_vector() {
        // SHA-256 of the empty input.
        assert_eq!(
            checksum(b""),
            "v1:sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(checksum(b"\xEF\xBB\xBF"), checksum(b""));
        assert_eq!(checksum(b"a\r\n"), checksum(b"a\n"));
        assert_ne!(checksum(b"a\r"), checksum(b"a\n"));
        assert_ne!(checksum(b"a \n"), checksum(b"a\n"));
    }
}
