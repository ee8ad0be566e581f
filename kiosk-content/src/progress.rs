//! Sealed progress records. A record is findable and readable only with the
//! pair (case number, query code); a kiosk's disk holds neither in plaintext.
//!
//! Argon2id over the normalised pair and a per-bundle salt yields 64 bytes:
//! the first 32 are the lookup key (stored, hex), the last 32 the
//! ChaCha20-Poly1305 key. The nonce is derived from the key and the plaintext
//! (SIV-style), so republishing an unchanged record gives identical bytes and
//! a changed record never reuses a nonce under the same key.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::ProgressRecord;

/// A progress record as a bundle and the store carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedProgress {
    /// Hex of the derived lookup key.
    pub lookup: String,
    /// Hex of the 12-byte nonce.
    pub nonce: String,
    /// Hex of the ciphertext with its tag.
    pub sealed: String,
}

/// The answer to a lookup. An unknown case and a wrong code are the same
/// answer, so the kiosk reveals nothing about which cases exist.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgressLookup {
    Found(ProgressRecord),
    NotFound,
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("key derivation failed: {0}")]
    Kdf(String),
    #[error("encrypting a progress record failed")]
    Encrypt,
    #[error("progress record is not valid JSON after decryption: {0}")]
    Payload(#[from] serde_json::Error),
}

/// Case numbers are typed on a kiosk keypad: ignore case, spaces and dashes.
pub fn normalize_case_number(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Query codes are digits; anything else typed is dropped.
pub fn normalize_query_code(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_digit()).collect()
}

/// The per-bundle salt, stable for a county so unchanged records republish
/// byte-identical (content-addressed objects are then reused).
pub fn bundle_salt(county: &str, publisher: &str) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update(b"kiosk-progress-salt\0")
        .chain_update(county.as_bytes())
        .chain_update([0])
        .chain_update(publisher.as_bytes())
        .finalize();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

// OWASP's recommended Argon2id minimum (19 MiB, 2 passes): a guess costs a
// few tens of milliseconds, so trying a million query codes per case costs
// hours of CPU, while a resident's lookup stays instant.
const ARGON_MEMORY_KIB: u32 = 19 * 1024;
const ARGON_PASSES: u32 = 2;

fn derive(
    case_number: &str,
    code: &str,
    salt: &[u8; 16],
) -> Result<([u8; 32], [u8; 32]), SealError> {
    let params = Params::new(ARGON_MEMORY_KIB, ARGON_PASSES, 1, Some(64))
        .map_err(|e| SealError::Kdf(e.to_string()))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let secret = format!(
        "{}\u{1f}{}",
        normalize_case_number(case_number),
        normalize_query_code(code)
    );
    let mut out = [0u8; 64];
    argon
        .hash_password_into(secret.as_bytes(), salt, &mut out)
        .map_err(|e| SealError::Kdf(e.to_string()))?;
    let mut lookup = [0u8; 32];
    let mut key = [0u8; 32];
    lookup.copy_from_slice(&out[..32]);
    key.copy_from_slice(&out[32..]);
    Ok((lookup, key))
}

/// The lookup key for a (case number, query code) pair, as stored.
pub fn lookup_key(
    case_number: &str,
    code: &str,
    salt: &[u8; 16],
) -> Result<(String, [u8; 32]), SealError> {
    let (lookup, key) = derive(case_number, code, salt)?;
    Ok((hex::encode(lookup), key))
}

/// Seals one record under its case number and query code.
pub fn seal(
    record: &ProgressRecord,
    code: &str,
    salt: &[u8; 16],
) -> Result<SealedProgress, SealError> {
    let (lookup, key) = derive(&record.case_number, code, salt)?;
    let plaintext = serde_json::to_vec(record)?;
    let nonce_digest = Sha256::new()
        .chain_update(b"kiosk-progress-nonce\0")
        .chain_update(key)
        .chain_update(&plaintext)
        .finalize();
    let nonce = Nonce::from_slice(&nonce_digest[..12]);
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key));
    let sealed = cipher
        .encrypt(nonce, plaintext.as_ref())
        .map_err(|_| SealError::Encrypt)?;
    Ok(SealedProgress {
        lookup: hex::encode(lookup),
        nonce: hex::encode(nonce),
        sealed: hex::encode(sealed),
    })
}

/// Opens a sealed record with the key derived by [`lookup_key`]. A record
/// that fails to decrypt is reported as not found, never as an error a
/// resident could tell apart.
pub fn open(sealed: &SealedProgress, key: &[u8; 32]) -> Option<ProgressRecord> {
    let nonce = hex::decode(&sealed.nonce).ok()?;
    if nonce.len() != 12 {
        return None;
    }
    let ciphertext = hex::decode(&sealed.sealed).ok()?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    let plaintext = cipher
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_ref())
        .ok()?;
    serde_json::from_slice(&plaintext).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn record() -> ProgressRecord {
        ProgressRecord {
            case_number: "SFX20210601001".into(),
            matter: "最低生活保障申请".into(),
            applicant: "李*华".into(),
            accepted: NaiveDate::from_ymd_opt(2021, 6, 1).expect("date"),
            due: None,
            status: "审核中".into(),
            steps: vec![],
            window: "1".into(),
        }
    }

    #[test]
    fn sealing_is_deterministic_and_opens_only_with_the_right_code() {
        let salt = bundle_salt("示范县", "示范县人民政府办公室");
        let a = seal(&record(), "123456", &salt).expect("seal");
        let b = seal(&record(), "123456", &salt).expect("seal");
        assert_eq!(a, b);
        let (lookup, key) = lookup_key("sfx-2021 0601 001", "123 456", &salt).expect("kdf");
        assert_eq!(lookup, a.lookup);
        assert_eq!(open(&a, &key), Some(record()));
        let (wrong_lookup, wrong_key) = lookup_key("SFX20210601001", "123457", &salt).expect("kdf");
        assert_ne!(wrong_lookup, a.lookup);
        assert_eq!(open(&a, &wrong_key), None);
    }
}
