//! Client certificates on the inbound TLS listener: mapped subject → user; unknown subject →
//! 401; a certificate from another CA fails the handshake.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use std::path::Path;

use super::support::*;
use crate::helpers::sim::spawn_sim;
use smsp_bridge::config::Settings;
use smsp_bridge::security::{AuthMode, CertUser};
use smsp_bridge::startup::Application;

struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// (certificate PEM, key PEM) signed by `ca`.
fn leaf(ca: &Ca, cn: &str, org: &str, server: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let sans = if server {
        vec!["127.0.0.1".to_string(), "localhost".to_string()]
    } else {
        vec![]
    };
    let mut params = CertificateParams::new(sans).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org);
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn client(ca_pem: &str, identity: Option<&(String, String)>) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .tls_backend_rustls()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()]);
    if let Some((cert, key)) = identity {
        b = b.identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn mapped_unknown_and_foreign_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let clients = ca("Clinic Client CA");
    let foreign = ca("Some Other CA");
    let server = leaf(&clients, "bridge.local", "Clinic", true);
    let kiosk = leaf(&clients, "ward-kiosk-7", "Clinic", false);
    let stranger = leaf(&clients, "ward-kiosk-8", "Clinic", false);
    let outsider = leaf(&foreign, "ward-kiosk-7", "Clinic", false);

    let sim = spawn_sim().await;
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        workers: 1,
        shutdown_grace_seconds: 1,
        ..Settings::default()
    };
    settings.smsp.url = sim.url.clone();
    settings.smsp.client_cert = Some(sim.paths.client_cert.clone());
    settings.smsp.client_key = Some(sim.paths.client_key.clone());
    settings.smsp.ca_cert = Some(sim.paths.ca.clone());
    let s = &mut settings.security;
    s.modes = vec![AuthMode::ClientCert];
    s.tls.listen = Some("127.0.0.1:0".into());
    s.tls.cert = Some(write(dir.path(), "server.pem", &server.0));
    s.tls.key = Some(write(dir.path(), "server.key", &server.1));
    s.tls.client_ca = Some(write(dir.path(), "clients-ca.pem", &clients.pem));
    s.client_cert.users = vec![CertUser {
        // RFC 4514 order, the reverse of the certificate's: order does not matter
        subject: "CN=ward-kiosk-7, O=Clinic".into(),
        user: "kiosk7".into(),
        roles: vec!["read".into()],
    }];
    let base_path = settings.base_path.clone();
    let app = Application::build(settings).await.expect("bridge builds");
    let tls_port = app.tls_port().expect("TLS listener");
    let plain_port = app.port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let url = format!("https://127.0.0.1:{tls_port}{base_path}{READ}");
    let get = |c: reqwest::Client, url: String| async move {
        c.get(url)
            .header("X-Request-ID", crate::helpers::request_id())
            .header(DOB.0, DOB.1)
            .send()
            .await
    };

    let r = get(client(&clients.pem, Some(&kiosk)), url.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        sim.state.last_audit_identity().unwrap().uri,
        "urn:nhs-uk:identity:ods:X99:kiosk7"
    );

    let r = get(client(&clients.pem, Some(&stranger)), url.clone())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["issue"][0]["diagnostics"],
        "Client certificate not recognised"
    );
    assert_eq!(
        body["issue"][0]["details"]["coding"][0]["code"],
        "ACCESS_DENIED"
    );

    // no certificate at all: the TLS handshake succeeds, authentication does not
    let r = get(client(&clients.pem, None), url.clone()).await.unwrap();
    assert_eq!(r.status(), 401);

    // a certificate from another CA never gets past the handshake
    assert!(get(client(&clients.pem, Some(&outsider)), url.clone())
        .await
        .is_err());

    // the plain listener has no certificate to offer
    let plain = format!("http://127.0.0.1:{plain_port}{base_path}{READ}");
    let r = get(reqwest::Client::new(), plain).await.unwrap();
    assert_eq!(r.status(), 401);

    handle.stop(false).await;
    sim.stop().await;
}
