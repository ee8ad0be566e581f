//! Public keys as TUF metadata describes them, and signature checks.
//!
//! The kiosk's own repositories use ed25519 only; ECDSA P-256 and RSA-PSS
//! are verified too because the specification lists them and other
//! repositories (and the conformance suite) use them.

use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::TufError;
use super::canonical::to_canonical;

/// A parsed public key. Keys of a type this client does not know are kept
/// (so the metadata still loads) but never verify anything.
#[derive(Clone)]
pub enum PublicKey {
    Ed25519(VerifyingKey),
    EcdsaP256(Box<p256::ecdsa::VerifyingKey>),
    RsaPss(Box<rsa::RsaPublicKey>),
    Unsupported { keytype: String, scheme: String },
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublicKey::Ed25519(_) => f.write_str("ed25519"),
            PublicKey::EcdsaP256(_) => f.write_str("ecdsa-sha2-nistp256"),
            PublicKey::RsaPss(_) => f.write_str("rsassa-pss-sha256"),
            PublicKey::Unsupported { keytype, scheme } => write!(f, "{keytype}/{scheme}"),
        }
    }
}

impl PublicKey {
    /// Parse the JSON form `{"keytype", "scheme", "keyval": {"public"}}`.
    /// `what` names the key in errors (e.g. `root.json: keys.<id>`).
    pub fn from_json(value: &Value, what: &str) -> Result<PublicKey, TufError> {
        let field = |name: &str| -> Result<&str, TufError> {
            value
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| TufError::Format(format!("{what}: missing string field \"{name}\"")))
        };
        let keytype = field("keytype")?;
        let scheme = field("scheme")?;
        let public = value
            .get("keyval")
            .and_then(|kv| kv.get("public"))
            .and_then(Value::as_str)
            .ok_or_else(|| TufError::Format(format!("{what}: missing keyval.public")))?;
        let bad = |e: String| TufError::Format(format!("{what}: bad {keytype} public key: {e}"));
        Ok(match (keytype, scheme) {
            ("ed25519", "ed25519") => {
                let bytes = hex::decode(public).map_err(|e| bad(e.to_string()))?;
                let arr: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| bad(format!("expected 32 bytes, got {}", bytes.len())))?;
                PublicKey::Ed25519(VerifyingKey::from_bytes(&arr).map_err(|e| bad(e.to_string()))?)
            }
            ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => {
                use p256::pkcs8::DecodePublicKey;
                let key = p256::ecdsa::VerifyingKey::from_public_key_pem(public)
                    .map_err(|e| bad(e.to_string()))?;
                PublicKey::EcdsaP256(Box::new(key))
            }
            ("rsa", "rsassa-pss-sha256") => {
                use rsa::pkcs8::DecodePublicKey;
                let key = rsa::RsaPublicKey::from_public_key_pem(public)
                    .map_err(|e| bad(e.to_string()))?;
                PublicKey::RsaPss(Box::new(key))
            }
            _ => PublicKey::Unsupported {
                keytype: keytype.to_string(),
                scheme: scheme.to_string(),
            },
        })
    }

    /// True when `sig_hex` is a valid signature of `msg` by this key.
    pub fn verify(&self, msg: &[u8], sig_hex: &str) -> bool {
        let Ok(sig) = hex::decode(sig_hex) else {
            return false;
        };
        match self {
            PublicKey::Ed25519(key) => match ed25519_dalek::Signature::from_slice(&sig) {
                Ok(s) => key.verify(msg, &s).is_ok(),
                Err(_) => false,
            },
            PublicKey::EcdsaP256(key) => {
                use p256::ecdsa::signature::Verifier as _;
                match p256::ecdsa::Signature::from_der(&sig) {
                    Ok(s) => key.verify(msg, &s).is_ok(),
                    Err(_) => false,
                }
            }
            PublicKey::RsaPss(key) => {
                use rsa::traits::PublicKeyParts;
                let digest = Sha256::digest(msg);
                // Signers differ in salt length: try the digest length
                // (securesystemslib today) and the maximum (older signers).
                let max_salt = key.size().saturating_sub(32 + 2);
                [32usize, max_salt].iter().any(|&salt| {
                    key.verify(rsa::Pss::new_with_salt::<Sha256>(salt), &digest, &sig)
                        .is_ok()
                })
            }
            PublicKey::Unsupported { .. } => false,
        }
    }
}

/// The key id TUF uses: hex sha256 of the key's canonical JSON.
pub fn key_id(key_json: &Value) -> Result<String, TufError> {
    Ok(hex::encode(Sha256::digest(to_canonical(key_json)?)))
}

/// An ed25519 key pair of one role, as `keygen` writes it.
pub struct RoleSigner {
    signing: SigningKey,
}

impl RoleSigner {
    pub fn generate() -> RoleSigner {
        let mut rng = rand_core::OsRng;
        RoleSigner {
            signing: SigningKey::generate(&mut rng),
        }
    }

    pub fn from_secret_hex(secret_hex: &str, what: &str) -> Result<RoleSigner, TufError> {
        let bytes = hex::decode(secret_hex.trim())
            .map_err(|e| TufError::Format(format!("{what}: private key is not hex: {e}")))?;
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            TufError::Format(format!(
                "{what}: private key must be 32 bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(RoleSigner {
            signing: SigningKey::from_bytes(&arr),
        })
    }

    pub fn secret_hex(&self) -> String {
        hex::encode(self.signing.to_bytes())
    }

    /// The public key in TUF JSON form.
    pub fn public_json(&self) -> Value {
        json!({
            "keytype": "ed25519",
            "scheme": "ed25519",
            "keyval": {"public": hex::encode(self.signing.verifying_key().to_bytes())}
        })
    }

    pub fn key_id(&self) -> String {
        // The public JSON has no floats, so canonicalisation cannot fail.
        key_id(&self.public_json()).unwrap_or_default()
    }

    pub fn sign_hex(&self, msg: &[u8]) -> String {
        hex::encode(self.signing.sign(msg).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_round_trip_and_tamper() {
        let s = RoleSigner::generate();
        let key = PublicKey::from_json(&s.public_json(), "test").expect("parse");
        let sig = s.sign_hex(b"hello");
        assert!(key.verify(b"hello", &sig));
        assert!(!key.verify(b"hellp", &sig));
        assert!(!key.verify(b"hello", "zz"));
        assert_eq!(s.key_id().len(), 64);
    }
}
