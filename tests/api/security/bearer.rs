//! Bearer JWTs: HS256 with a secret file, ES256 and RS256 with a JWKS file, and a JWKS URL
//! (cached).

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::support::*;
use crate::helpers::spawn_app_with;
use smsp_bridge::security::AuthMode;

const ISS: &str = "https://idp.test";
const AUD: &str = "smsp-bridge";
const SECRET: &str = "a-shared-secret-of-at-least-32-bytes";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(user: &str, roles: &[&str]) -> Value {
    json!({"sub": user, "iss": ISS, "aud": AUD, "iat": now(), "exp": now() + 300, "roles": roles})
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A P-256 key: its PKCS#8 PEM and its public JWK.
pub(crate) fn ec_key(kid: &str) -> (String, Value) {
    let key = rcgen::KeyPair::generate().unwrap(); // ECDSA P-256
    let raw = key.public_key_raw(); // 0x04 || X || Y
    assert_eq!(raw.len(), 65);
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(&raw[1..33]), "y": b64(&raw[33..]),
        "kid": kid, "alg": "ES256", "use": "sig"});
    (key.serialize_pem(), jwk)
}

/// A token signed with `alg` (ES256 or RS256) by the PKCS#8 `pem`, naming `kid`.
fn signed(alg: Algorithm, claims: &Value, pem: &str, kid: &str) -> String {
    let key = match alg {
        Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
        other => panic!("no test key for {other:?}"),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &key.unwrap()).unwrap()
}

fn es256(claims: &Value, pem: &str, kid: &str) -> String {
    signed(Algorithm::ES256, claims, pem, kid)
}

/// A 2048-bit RSA key generated for the test run (no key is committed): its PKCS#8 PEM and its
/// public JWK. `n` and `e` are unsigned big-endian integers in base64url without leading zero
/// octets (RFC 7518 §6.3.1); DER keeps a leading zero when the top bit is set, so it is dropped.
fn rsa_key(kid: &str) -> (String, Value) {
    use x509_parser::prelude::FromDer;
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    // PKCS#1 RSAPublicKey (RFC 8017 §A.1.1): SEQUENCE { modulus, publicExponent }.
    let (_, public) =
        x509_parser::public_key::RSAPublicKey::from_der(key.public_key_raw()).unwrap();
    let strip = |b: &[u8]| -> Vec<u8> {
        let first = b.iter().position(|&x| x != 0).unwrap_or(b.len() - 1);
        b[first..].to_vec()
    };
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let n = strip(public.modulus);
    assert_eq!(n.len(), 256, "a 2048-bit modulus");
    let jwk = json!({"kty": "RSA", "n": b64(&n), "e": b64(&strip(public.exponent)),
        "kid": kid, "alg": "RS256", "use": "sig"});
    (key.serialize_pem(), jwk)
}

fn rs256(claims: &Value, pem: &str, kid: &str) -> String {
    signed(Algorithm::RS256, claims, pem, kid)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn spawn_bearer(
    dir: &Path,
    adjust: impl FnOnce(&mut smsp_bridge::config::Settings),
) -> crate::helpers::TestApp {
    let secret = dir.join("hs256.secret");
    std::fs::write(&secret, SECRET).unwrap();
    spawn_app_with(sim().await, move |s| {
        s.security.modes = vec![AuthMode::Bearer];
        s.security.bearer.issuer = ISS.into();
        s.security.bearer.audience = AUD.into();
        s.security.bearer.hs256_secret_file = Some(secret);
        adjust(s);
    })
    .await
}

#[tokio::test]
async fn hs256_good_expired_ill_signed_and_wrong_audience() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_bearer(dir.path(), |_| {}).await;
    let good = hs256(&claims("u-100", &["read"]), SECRET);
    let r = get_as(&app, READ, Some(&bearer(&good)), &[DOB]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // roles come from the token
    let r = get_as(&app, SEARCH, Some(&bearer(&good)), &[]).await;
    assert_403(&r);

    let mut expired = claims("u-100", &["read"]);
    expired["exp"] = json!(now() - 600);
    let mut early = claims("u-100", &["read"]);
    early["nbf"] = json!(now() + 600);
    let mut wrong_aud = claims("u-100", &["read"]);
    wrong_aud["aud"] = json!("another-api");
    let mut wrong_iss = claims("u-100", &["read"]);
    wrong_iss["iss"] = json!("https://evil.test");
    for (what, token) in [
        ("expired", hs256(&expired, SECRET)),
        ("not yet valid", hs256(&early, SECRET)),
        ("wrong audience", hs256(&wrong_aud, SECRET)),
        ("wrong issuer", hs256(&wrong_iss, SECRET)),
        (
            "ill-signed",
            hs256(
                &claims("u-100", &["read"]),
                "some-other-secret-of-32-bytes-or-more",
            ),
        ),
        ("garbage", "abc.def.ghi".to_string()),
    ] {
        let r = get_as(&app, READ, Some(&bearer(&token)), &[DOB]).await;
        assert_401(
            &r,
            "Invalid Access Token",
            "Bearer realm=\"smsp-bridge\", error=\"invalid_token\"",
        );
        assert_eq!(r.status, 401, "{what}");
    }
    let r = get_as(&app, READ, Some("Bearer "), &[DOB]).await;
    assert_401(&r, "Missing access token", "Bearer");
    app.stop().await;
}

#[tokio::test]
async fn es256_with_a_jwks_file() {
    let dir = tempfile::tempdir().unwrap();
    let (pem, jwk) = ec_key("key-1");
    let (other_pem, _) = ec_key("key-1");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [jwk]}).to_string()).unwrap();
    let app = spawn_bearer(dir.path(), move |s| {
        s.security.bearer.jwks_file = Some(jwks);
    })
    .await;
    let c = claims("u-200", &["read", "verify"]);
    let r = get_as(&app, READ, Some(&bearer(&es256(&c, &pem, "key-1"))), &[DOB]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // same kid, another key: ill-signed
    let r = get_as(
        &app,
        READ,
        Some(&bearer(&es256(&c, &other_pem, "key-1"))),
        &[DOB],
    )
    .await;
    assert_401(&r, "Invalid Access Token", "Bearer");
    // an unknown kid
    let r = get_as(&app, READ, Some(&bearer(&es256(&c, &pem, "key-9"))), &[DOB]).await;
    assert_401(&r, "Invalid Access Token", "Bearer");
    // an HS256 token must not pass as ES256 (algorithm confusion), nor the other way round
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("key-1".into());
    let confused = jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(b"x")).unwrap();
    let r = get_as(&app, READ, Some(&bearer(&confused)), &[DOB]).await;
    assert_eq!(r.status, 401);
    app.stop().await;
}

/// RS256, the algorithm most identity providers sign with, through the same JWKS file as ES256:
/// a token signed by the published key is accepted; one signed by another RSA key under the same
/// `kid`, or naming a key of another family, is 401 with PDS's OperationOutcome (PDS FHIR SPEC §7).
#[tokio::test]
async fn rs256_with_a_jwks_file() {
    let dir = tempfile::tempdir().unwrap();
    let (pem, jwk) = rsa_key("rsa-1");
    let (other_pem, _) = rsa_key("rsa-1");
    let (_, ec_jwk) = ec_key("ec-1");
    let jwks = dir.path().join("jwks.json");
    std::fs::write(&jwks, json!({"keys": [jwk, ec_jwk]}).to_string()).unwrap();
    let app = spawn_bearer(dir.path(), move |s| {
        s.security.bearer.jwks_file = Some(jwks);
    })
    .await;
    let c = claims("u-250", &["read"]);
    let r = get_as(&app, READ, Some(&bearer(&rs256(&c, &pem, "rsa-1"))), &[DOB]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["resourceType"], "Patient");
    // same kid, another RSA key: ill-signed
    let forged = rs256(&c, &other_pem, "rsa-1");
    let r = get_as(&app, READ, Some(&bearer(&forged)), &[DOB]).await;
    assert_401(
        &r,
        "Invalid Access Token",
        "Bearer realm=\"smsp-bridge\", error=\"invalid_token\"",
    );
    // an RS256 token naming the EC key: a key serves only its own algorithm family
    let r = get_as(&app, READ, Some(&bearer(&rs256(&c, &pem, "ec-1"))), &[DOB]).await;
    assert_401(&r, "Invalid Access Token", "Bearer");
    app.stop().await;
}

#[tokio::test]
async fn a_jwks_url_is_fetched_once_and_cached() {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let (pem, jwk) = ec_key("url-key");
    let hits = Arc::new(AtomicUsize::new(0));
    let body = json!({"keys": [jwk]}).to_string();
    let counter = hits.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let body = body.clone();
        let counter = counter.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let idp = server.handle();
    tokio::spawn(server);

    let dir = tempfile::tempdir().unwrap();
    let app = spawn_bearer(dir.path(), move |s| {
        s.security.bearer.jwks_url = Some(format!("http://127.0.0.1:{port}/jwks"));
    })
    .await;
    let token = es256(&claims("u-300", &["read"]), &pem, "url-key");
    for _ in 0..3 {
        let r = get_as(&app, READ, Some(&bearer(&token)), &[DOB]).await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the JWKS is cached");
    app.stop().await;
    idp.stop(false).await;
}
