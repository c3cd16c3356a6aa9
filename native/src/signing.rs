//! Signed client ids: `s:<id>.<base64 HMAC-SHA256(key, id)>`, as Pode's
//! `Invoke-PodeValueSign`. Strict mode keys the HMAC with `<secret>;<User-Agent>;<IP>`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const PREFIX: &str = "s:";

/// Who presents a client id: needed by strict signing, which binds an id to the
/// client's User-Agent and remote IP (as recorded at upgrade for a connection).
#[derive(Debug, Clone, Copy, Default)]
pub struct SigningContext<'a> {
    /// The client's `User-Agent` header (empty if absent).
    pub user_agent: &'a str,
    /// The client's IP as text (`127.0.0.1`, `::1`, `::ffff:10.0.0.1`).
    pub remote_ip: &'a str,
}

/// The signing secret in force.
#[derive(Debug, Clone)]
pub(crate) struct Signer {
    secret: String,
    strict: bool,
}

/// True if the id has the signed form's prefix (`s:`).
pub(crate) fn looks_signed(id: &str) -> bool {
    id.starts_with(PREFIX)
}

impl Signer {
    pub(crate) fn new(secret: String, strict: bool) -> Self {
        Self { secret, strict }
    }

    fn mac(&self, id: &str, ctx: &SigningContext<'_>) -> Hmac<Sha256> {
        let mut mac = if self.strict {
            let key = format!("{};{};{}", self.secret, ctx.user_agent, ctx.remote_ip);
            Hmac::<Sha256>::new_from_slice(key.as_bytes())
        } else {
            Hmac::<Sha256>::new_from_slice(self.secret.as_bytes())
        }
        .expect("HMAC accepts keys of any length");
        mac.update(id.as_bytes());
        mac
    }

    /// Signs a plain id.
    pub(crate) fn sign(&self, id: &str, ctx: &SigningContext<'_>) -> String {
        let signature = STANDARD.encode(self.mac(id, ctx).finalize().into_bytes());
        format!("{PREFIX}{id}.{signature}")
    }

    /// Verifies a signed id in constant time; returns the plain id inside.
    pub(crate) fn verify<'a>(&self, signed: &'a str, ctx: &SigningContext<'_>) -> Option<&'a str> {
        let body = signed.strip_prefix(PREFIX)?;
        let (id, signature) = body.rsplit_once('.')?;
        let signature = STANDARD.decode(signature).ok()?;
        self.mac(id, ctx).verify_slice(&signature).ok().map(|()| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: SigningContext<'static> = SigningContext { user_agent: "ua", remote_ip: "127.0.0.1" };

    #[test]
    fn matches_pode_format() {
        // HMAC-SHA256("super-secret", "abc"), base64: computed independently with openssl.
        let s = Signer::new("super-secret".into(), false).sign("abc", &CTX);
        assert_eq!(s, "s:abc.kgJKP1LXTNjSSRWApdJuKeaiNSRyl2Dklt1aRTU+D1w=");
    }

    #[test]
    fn verify_round_trips_and_rejects_tampering() {
        let signer = Signer::new("secret".into(), false);
        let signed = signer.sign("id.with.dots", &CTX);
        assert_eq!(signer.verify(&signed, &CTX), Some("id.with.dots"));
        assert_eq!(signer.verify(&signed.replace("dots", "dotz"), &CTX), None);
        assert_eq!(Signer::new("other".into(), false).verify(&signed, &CTX), None);
        assert_eq!(signer.verify("abc", &CTX), None);
        assert_eq!(signer.verify("s:abc.%%%", &CTX), None);
    }

    #[test]
    fn strict_binds_user_agent_and_ip() {
        let signer = Signer::new("secret".into(), true);
        let signed = signer.sign("abc", &CTX);
        assert!(signer.verify(&signed, &CTX).is_some());
        let other_ip = SigningContext { remote_ip: "10.0.0.1", ..CTX };
        let other_ua = SigningContext { user_agent: "curl", ..CTX };
        assert!(signer.verify(&signed, &other_ip).is_none());
        assert!(signer.verify(&signed, &other_ua).is_none());
    }
}
