//! HTTPS transport to SMSP with mutual TLS (SMSP SPEC §2.1, §2.2): `POST` with
//! `Content-Type: text/xml` and the `SOAPAction` header, pooled keep-alive connections,
//! connect and request timeouts, a capped response body, and every failure classified.

use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use futures_util::future::BoxFuture;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};

use super::{
    build, parse, AuditIdentity, EnvelopeContext, Interaction, Query, SmspCall, SmspClient,
    SmspError, SmspReply,
};

/// Header names as values: a `&str` name is parsed on every request.
const SOAP_ACTION: HeaderName = HeaderName::from_static("soapaction");

/// Settings for the live SMSP connection. PEM material is passed in already read, so the
/// caller decides where secrets come from.
#[derive(Clone)]
pub struct TransportConfig {
    /// Endpoint URL, e.g. `https://smsp.example.nhs.uk/smsp/pds`. Must be `https`.
    pub url: String,
    /// Client certificate chain (PEM) presented for TLS-MA.
    pub client_cert_pem: Vec<u8>,
    /// Client private key (PEM: PKCS#8, PKCS#1 or SEC1), held as a secret: zeroed on drop and
    /// never printed.
    pub client_key_pem: secrecy::SecretSlice<u8>,
    /// The CA bundle that signs SMSP's server certificate; the only roots trusted.
    pub ca_pem: Vec<u8>,
    pub connect_timeout: Duration,
    /// Budget for one whole exchange (send, wait, read the body).
    pub timeout: Duration,
    /// Largest response body accepted (SMSP answers are a few KiB).
    pub max_body_bytes: usize,
    /// `wsa:From/wsa:Address` for requests.
    pub from_address: String,
    /// `wsse:Username` issued by the SMSP provider.
    pub username: String,
    pub pool_idle_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportSetupError {
    #[error("smsp.url must be an https URL (TLS-MA is mandatory; it cannot be turned off)")]
    NotHttps,
    #[error("smsp.url is not a valid URL: {0}")]
    BadUrl(String),
    #[error("client certificate/key could not be loaded: {0}")]
    Identity(String),
    #[error("SMSP CA bundle could not be loaded: {0}")]
    Ca(String),
    #[error("HTTP client could not be built: {0}")]
    Client(String),
}

/// The live SMSP client.
pub struct LiveClient {
    /// The connection pool and the TLS-MA identity it presents. A reload (`reload_tls`)
    /// replaces the whole client: calls already under way finish on the old pool, and new
    /// ones connect with the new certificate (reqwest cannot change a pool's identity).
    http: RwLock<reqwest::Client>,
    /// `config.url`, parsed once: reqwest would parse a `&str` URL again on every call.
    url: url::Url,
    config: TransportConfig,
}

impl LiveClient {
    pub fn new(config: TransportConfig) -> Result<Self, TransportSetupError> {
        let url =
            url::Url::parse(&config.url).map_err(|e| TransportSetupError::BadUrl(e.to_string()))?;
        // TLS verification can never be turned off: plain http is refused outright.
        if url.scheme() != "https" {
            return Err(TransportSetupError::NotHttps);
        }
        let http = http_client(&config)?;
        Ok(Self {
            http: RwLock::new(http),
            url,
            config: TransportConfig {
                // Held by the pool; not kept twice.
                client_key_pem: Vec::new().into(),
                ..config
            },
        })
    }

    /// Presents `client_cert_pem` with `client_key_pem`, and trusts `ca_pem`, from the next
    /// connection on. Nothing changes when the material cannot be used.
    pub fn reload_tls(
        &self,
        client_cert_pem: Vec<u8>,
        client_key_pem: secrecy::SecretSlice<u8>,
        ca_pem: Vec<u8>,
    ) -> Result<(), TransportSetupError> {
        let next = TransportConfig {
            client_cert_pem,
            client_key_pem,
            ca_pem,
            ..self.config.clone()
        };
        let http = http_client(&next)?;
        *self.http.write().unwrap_or_else(PoisonError::into_inner) = http;
        Ok(())
    }

    /// The current pool (a handle: cloning a reqwest client is a reference count).
    fn http(&self) -> reqwest::Client {
        self.http
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// Sends an already-built envelope and classifies the outcome.
    pub async fn send(
        &self,
        interaction: Interaction,
        body: String,
    ) -> Result<SmspReply, SmspError> {
        let exchange = async {
            let response = self
                .http()
                .post(self.url.clone())
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/xml; charset=utf-8"),
                )
                .header(SOAP_ACTION, HeaderValue::from_static(interaction.service()))
                .body(body)
                .send()
                .await
                .map_err(classify)?;
            let status = response.status().as_u16();
            let xml_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(is_xml_content_type)
                .unwrap_or(false);
            let bytes = read_capped(response, self.config.max_body_bytes).await?;
            interpret(status, xml_type, &bytes)
        };
        // reqwest's own timeout covers the exchange; this outer guard also bounds the body read.
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(SmspError::Timeout),
        }
    }
}

impl SmspClient for LiveClient {
    fn probe(&self) -> BoxFuture<'_, Result<u16, SmspError>> {
        Box::pin(async move {
            // Any HTTP answer proves TCP, the TLS-MA handshake and the server are up; a GET
            // carries no patient data and is not a SOAP call SMSP would audit.
            let fut = self.http().get(self.url.clone()).send();
            match tokio::time::timeout(self.config.connect_timeout * 2, fut).await {
                Ok(Ok(res)) => Ok(res.status().as_u16()),
                Ok(Err(e)) => Err(classify(e)),
                Err(_) => Err(SmspError::Timeout),
            }
        })
    }

    fn call<'a>(
        &'a self,
        interaction: Interaction,
        query: &'a Query,
        audit: &'a AuditIdentity,
    ) -> BoxFuture<'a, Result<SmspCall, SmspError>> {
        Box::pin(async move {
            let ctx = EnvelopeContext::new(
                &self.config.url,
                &self.config.from_address,
                &self.config.username,
                audit.clone(),
            );
            let message_id = super::upper_uuid(&ctx.message_id);
            let body = build::request_envelope(interaction, query, &ctx)
                .map_err(|e| SmspError::Malformed(format!("request not built: {e}")))?;
            match self.send(interaction, body).await? {
                SmspReply::Response(response) => Ok(SmspCall {
                    interaction,
                    message_id,
                    response,
                }),
                SmspReply::Fault(fault) => Err(SmspError::Fault(Box::new(fault))),
            }
        })
    }
}

/// A reqwest client presenting `config`'s certificate and trusting only its CA bundle.
fn http_client(config: &TransportConfig) -> Result<reqwest::Client, TransportSetupError> {
    // aws-lc-rs is the only provider in the tree; installing it explicitly keeps rustls from
    // panicking if a second provider ever appears (rust-stack.md).
    crate::pki::install_crypto_provider();
    // reqwest reports a key that does not belong to the certificate only as "builder error".
    let cert_text = String::from_utf8_lossy(&config.client_cert_pem);
    let key_text =
        String::from_utf8_lossy(secrecy::ExposeSecret::expose_secret(&config.client_key_pem));
    crate::pki::check_key_pair(&cert_text, &key_text)
        .map_err(|e| TransportSetupError::Identity(format!("{e:#}")))?;
    let mut pem = config.client_cert_pem.clone();
    if !pem.ends_with(b"\n") {
        pem.push(b'\n');
    }
    pem.extend_from_slice(secrecy::ExposeSecret::expose_secret(&config.client_key_pem));
    let identity = reqwest::Identity::from_pem(&pem)
        .map_err(|e| TransportSetupError::Identity(e.to_string()))?;
    let cas = reqwest::Certificate::from_pem_bundle(&config.ca_pem)
        .map_err(|e| TransportSetupError::Ca(e.to_string()))?;
    if cas.is_empty() {
        return Err(TransportSetupError::Ca(
            "no certificate in the bundle".into(),
        ));
    }
    reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only(cas)
        .identity(identity)
        .https_only(true)
        // SMSP is one fixed endpoint: a 3xx means a wrong URL or a misbehaving proxy, and
        // following it would re-send a patient query, with our client certificate, wherever
        // the answer points. It is an HTTP error like any other (`interpret`).
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .pool_idle_timeout(config.pool_idle_timeout)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| TransportSetupError::Client(e.to_string()))
}

fn is_xml_content_type(value: &str) -> bool {
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        mime.as_str(),
        "text/xml" | "application/soap+xml" | "application/xml"
    )
}

/// Reads the body chunk by chunk so an oversize answer is refused without buffering it
/// (neither reqwest nor quick-xml limits size — rust-stack.md).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, SmspError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(SmspError::Oversize { limit });
    }
    let mut body = Vec::with_capacity(8 * 1024);
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > limit {
            return Err(SmspError::Oversize { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// HTTP 200 carries business outcomes; ITK faults come with HTTP 500 (SMSP SPEC §2.1, §2.6).
fn interpret(status: u16, xml_type: bool, body: &[u8]) -> Result<SmspReply, SmspError> {
    match status {
        200 if !xml_type => Err(SmspError::Malformed("unexpected content type".into())),
        200 => parse::reply(body).map_err(|e| SmspError::Malformed(e.to_string())),
        500 => match parse::reply(body) {
            Ok(SmspReply::Fault(f)) => Ok(SmspReply::Fault(f)),
            _ => Err(SmspError::HttpStatus(500)),
        },
        other => Err(SmspError::HttpStatus(other)),
    }
}

/// Maps a reqwest failure to its cause by walking the error's source chain.
fn classify(err: reqwest::Error) -> SmspError {
    if err.is_timeout() {
        return SmspError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut io_kind = None;
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return SmspError::Tls(tls_summary(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = rustls_inside(io) {
                return SmspError::Tls(tls_summary(tls));
            }
            io_kind.get_or_insert(io.kind());
        }
        source = e.source();
    }
    if err.is_connect() {
        return match io_kind {
            Some(kind) => SmspError::Connect(format!("{kind:?}")),
            None => SmspError::Connect("connection failed".into()),
        };
    }
    match io_kind {
        Some(std::io::ErrorKind::TimedOut) => SmspError::Timeout,
        Some(kind) => SmspError::Io(format!("{kind:?}")),
        None if err.is_body() || err.is_decode() => SmspError::Io("body read failed".into()),
        None => SmspError::Io("request failed".into()),
    }
}

/// `io::Error::source()` skips the error an `io::Error` wraps, and hyper nests rustls errors
/// two `io::Error`s deep, so look inside explicitly.
fn rustls_inside(io: &std::io::Error) -> Option<&rustls::Error> {
    let inner = io.get_ref()?;
    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    inner
        .downcast_ref::<std::io::Error>()
        .and_then(rustls_inside)
}

/// A short description of a TLS failure, without certificate contents.
fn tls_summary(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(reason) => {
            format!("server certificate rejected: {reason:?}")
        }
        rustls::Error::AlertReceived(alert) => format!("peer sent TLS alert {alert:?}"),
        other => format!("{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_content_types_are_recognised() {
        assert!(is_xml_content_type("text/xml"));
        assert!(is_xml_content_type("text/xml; charset=UTF-8"));
        assert!(is_xml_content_type("application/soap+xml"));
        assert!(!is_xml_content_type("text/html"));
        assert!(!is_xml_content_type("application/json"));
    }

    #[test]
    fn non_200_non_500_is_an_http_status_error() {
        assert!(matches!(
            interpret(503, true, b""),
            Err(SmspError::HttpStatus(503))
        ));
        assert!(matches!(
            interpret(500, true, b"<nope"),
            Err(SmspError::HttpStatus(500))
        ));
        assert!(matches!(
            interpret(200, false, b"<x/>"),
            Err(SmspError::Malformed(_))
        ));
    }

    fn config(url: &str, cert: &str, key: &str, ca: &str) -> TransportConfig {
        TransportConfig {
            url: url.into(),
            client_cert_pem: cert.as_bytes().to_vec(),
            client_key_pem: key.as_bytes().to_vec().into(),
            ca_pem: ca.as_bytes().to_vec(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            max_body_bytes: 1024,
            from_address: "bridge".into(),
            username: "bridge".into(),
            pool_idle_timeout: Duration::from_secs(30),
        }
    }

    #[test]
    fn plain_http_is_refused() {
        assert!(matches!(
            LiveClient::new(config("http://localhost/smsp/pds", "", "", "")),
            Err(TransportSetupError::NotHttps)
        ));
    }

    #[test]
    fn a_key_that_is_not_the_certificates_own_is_named_as_such() {
        let pki = crate::pki::PkiSet::generate().unwrap();
        let url = "https://localhost/smsp/pds";
        let mismatched = config(url, &pki.client_cert_pem, &pki.server_key_pem, &pki.ca_pem);
        match LiveClient::new(mismatched) {
            Err(e @ TransportSetupError::Identity(_)) => assert_eq!(
                e.to_string(),
                "client certificate/key could not be loaded: \
                 the private key does not belong to the certificate"
            ),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a mismatched pair was accepted"),
        }
        let own = config(url, &pki.client_cert_pem, &pki.client_key_pem, &pki.ca_pem);
        assert!(LiveClient::new(own).is_ok());
    }
}
