//! rustls (ring) configurations: server identities from PKCS#12 or PEM, and client trust
//! from the system roots plus optional extra CAs.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

use crate::{Error, Result, TlsIdentity};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Tls(format!("cannot read {}: {e}", path.display())))
}

/// A server configuration for the identity, offering HTTP/1.1 over ALPN.
pub(crate) fn server_config(identity: &TlsIdentity) -> Result<Arc<rustls::ServerConfig>> {
    let (certs, key) = match identity {
        TlsIdentity::Pkcs12 { path, password } => load_pkcs12(path, password)?,
        TlsIdentity::Pem { cert, key } => load_pem(cert, key)?,
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Tls(format!("the certificate and key do not fit together: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn load_pkcs12(path: &Path, password: &str) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let data = read(path)?;
    let store = p12_keystore::KeyStore::from_pkcs12(&data, password, p12_keystore::Pkcs12ImportPolicy::Relaxed)
        .map_err(|e| Error::Tls(format!("cannot open PKCS#12 file {} (wrong password?): {e}", path.display())))?;
    let (_, chain) = store.private_key_chain().ok_or_else(|| Error::Tls(format!("{} holds no private key with a certificate", path.display())))?;
    let certs: Vec<CertificateDer<'static>> = chain.certs().iter().map(|c| CertificateDer::from(c.as_der().to_vec())).collect();
    if certs.is_empty() {
        return Err(Error::Tls(format!("{} holds a key without a certificate", path.display())));
    }
    Ok((certs, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(chain.key().as_der().to_vec()))))
}

fn load_pem(cert: &Path, key: &Path) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let certs = pem_certs(cert)?;
    let key_pem = read(key)?;
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| Error::Tls(format!("cannot parse {}: {e}", key.display())))?
        .ok_or_else(|| Error::Tls(format!("{} holds no private key", key.display())))?;
    Ok((certs, key))
}

fn pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read(path)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("cannot parse {}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!("{} holds no PEM certificate", path.display())));
    }
    Ok(certs)
}

/// Trust settings of outgoing wss connections.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientTrust<'a> {
    /// PEM file with extra CA certificates to trust.
    pub extra_ca: Option<&'a Path>,
    /// Accept any certificate (self-signed test servers only).
    pub accept_invalid: bool,
}

/// A client configuration trusting the system roots (plus `extra_ca`).
pub(crate) fn client_config(trust: &ClientTrust<'_>) -> Result<Arc<rustls::ClientConfig>> {
    let builder = rustls::ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().map_err(|e| Error::Tls(e.to_string()))?;
    let config = if trust.accept_invalid {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider()))).with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = trust.extra_ca {
            for cert in pem_certs(path)? {
                roots.add(cert).map_err(|e| Error::Tls(format!("{}: {e}", path.display())))?;
            }
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(Arc::new(config))
}

/// Accepts any server certificate but still checks the handshake signatures.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
