//! A PDS FHIR stand-in for the compare tests (issue 6): actix on an ephemeral port serving the
//! project's own fixtures (`tests/fixtures/pds/`) as PDS would (PDS FHIR SPEC §4, §5, §7), with
//! knobs: a 429 (`Retry-After: 1`) on the first request matching given fragments, a delay, a
//! fixed failure status, and a token endpoint that checks NHS's signed-JWT client assertion
//! (RS512, `kid`) before bearer tokens are accepted.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const FHIR_PATH: &str = "/personal-demographics/FHIR/R4";

#[derive(Clone, Default)]
pub struct Knobs {
    /// The first request whose path and query contain one of these gets 429, Retry-After: 1.
    pub throttle_first: Vec<String>,
    pub delay: Duration,
    /// Answer every FHIR request with this status (an UNKNOWN_ERROR OperationOutcome).
    pub fail_with: Option<u16>,
    /// Require `Authorization: Bearer <token issued here>` and check client assertions.
    pub auth: Option<AuthCheck>,
}

#[derive(Clone)]
pub struct AuthCheck {
    pub public_key_pem: String,
    pub api_key: String,
    pub kid: String,
}

#[derive(Default)]
pub struct State {
    pub requests: AtomicU64,
    pub throttled: AtomicU64,
    pub tokens_issued: AtomicU64,
    /// Why client assertions were refused.
    pub assertion_failures: Mutex<Vec<String>>,
    /// X-Request-ID of every FHIR request, in arrival order.
    pub request_ids: Mutex<Vec<String>>,
    throttled_keys: Mutex<HashSet<String>>,
    tokens: Mutex<HashSet<String>>,
    jtis: Mutex<HashSet<String>>,
}

pub struct StandIn {
    /// `http://127.0.0.1:PORT/personal-demographics/FHIR/R4`
    pub base: String,
    pub token_url: String,
    pub state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl StandIn {
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

struct Shared {
    knobs: Knobs,
    patients: BTreeMap<String, Value>,
    token_url: String,
    state: Arc<State>,
}

pub async fn spawn(knobs: Knobs) -> StandIn {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let root = format!("http://127.0.0.1:{port}");
    let state = Arc::new(State::default());
    let shared = web::Data::new(Shared {
        knobs,
        patients: fixtures(),
        token_url: format!("{root}/oauth2/token"),
        state: state.clone(),
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(shared.clone())
            .route("/oauth2/token", web::post().to(token))
            .route(&format!("{FHIR_PATH}/Patient/{{id}}"), web::get().to(read))
            .route(&format!("{FHIR_PATH}/Patient"), web::get().to(search))
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    StandIn {
        base: format!("{root}{FHIR_PATH}"),
        token_url: format!("{root}/oauth2/token"),
        state,
        handle,
    }
}

fn fixtures() -> BTreeMap<String, Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pds");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(id) = name
            .strip_prefix("patient-")
            .and_then(|n| n.strip_suffix(".json"))
        {
            let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            out.insert(id.to_string(), v);
        }
    }
    out
}

fn fhir(status: u16, body: Value) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .content_type("application/fhir+json")
        .body(body.to_string())
}

fn outcome(status: u16, code: &str, issue: &str, severity: &str) -> HttpResponse {
    fhir(
        status,
        json!({"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": issue,
            "details": {"coding": [{"system": "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode",
                "version": "1", "code": code}]}}]}),
    )
}

/// Checks shared by every FHIR request: auth, X-Request-ID, delay, failure and throttling knobs.
async fn gate(req: &HttpRequest, s: &Shared) -> Option<HttpResponse> {
    let st = &s.state;
    st.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(_auth) = &s.knobs.auth {
        let token = req
            .headers()
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !st.tokens.lock().unwrap().contains(token) {
            return Some(outcome(401, "ACCESS_DENIED", "forbidden", "error"));
        }
    }
    let rid = req
        .headers()
        .get("X-Request-ID")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if uuid::Uuid::parse_str(rid).is_err() {
        return Some(outcome(400, "MISSING_VALUE", "required", "error"));
    }
    st.request_ids.lock().unwrap().push(rid.to_string());
    if !s.knobs.delay.is_zero() {
        tokio::time::sleep(s.knobs.delay).await;
    }
    if let Some(status) = s.knobs.fail_with {
        return Some(outcome(status, "UNKNOWN_ERROR", "unknown", "error"));
    }
    let target = req.uri().to_string();
    for key in &s.knobs.throttle_first {
        if target.contains(key.as_str()) && st.throttled_keys.lock().unwrap().insert(key.clone()) {
            st.throttled.fetch_add(1, Ordering::SeqCst);
            let mut r = outcome(429, "TOO_MANY_REQUESTS", "value", "error");
            r.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from_static("1"),
            );
            return Some(r);
        }
    }
    None
}

async fn read(req: HttpRequest, id: web::Path<String>, s: web::Data<Shared>) -> HttpResponse {
    if let Some(r) = gate(&req, &s).await {
        return r;
    }
    match s.patients.get(id.as_str()) {
        Some(p) => fhir(200, p.clone()),
        None => outcome(404, "RESOURCE_NOT_FOUND", "not-found", "information"),
    }
}

async fn search(req: HttpRequest, s: web::Data<Shared>) -> HttpResponse {
    if let Some(r) = gate(&req, &s).await {
        return r;
    }
    let q: Vec<(String, String)> = form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let param = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let (Some(family), Some(birthdate)) = (param("family"), param("birthdate")) else {
        return outcome(400, "INVALID_SEARCH_DATA", "value", "error");
    };
    let birthdate = birthdate.trim_start_matches("eq");
    let compact = |s: &str| s.replace(' ', "").to_uppercase();
    let matches: Vec<&Value> = s
        .patients
        .values()
        .filter(|p| {
            let usual = &p["name"][0];
            usual["family"]
                .as_str()
                .is_some_and(|f| f.eq_ignore_ascii_case(family))
                && p["birthDate"] == birthdate
                && param("gender").is_none_or(|g| p["gender"] == g)
                && param("given").is_none_or(|g| {
                    usual["given"][0]
                        .as_str()
                        .is_some_and(|x| x.eq_ignore_ascii_case(g))
                })
                && param("address-postalcode").is_none_or(|pc| {
                    p["address"].as_array().is_some_and(|a| {
                        a.iter()
                            .any(|ad| ad["postalCode"].as_str().map(compact) == Some(compact(pc)))
                    })
                })
        })
        .collect();
    let timestamp = "2026-01-01T12:00:00+00:00";
    match matches.as_slice() {
        [] => fhir(
            200,
            json!({"resourceType": "Bundle", "type": "searchset", "timestamp": timestamp, "total": 0}),
        ),
        [one] => {
            let id = one["id"].as_str().unwrap_or_default();
            fhir(
                200,
                json!({"resourceType": "Bundle", "type": "searchset", "timestamp": timestamp, "total": 1,
                "entry": [{"fullUrl": format!("https://api.service.nhs.uk{FHIR_PATH}/Patient/{id}"),
                    "search": {"score": 1}, "resource": search_view(one)}]}),
            )
        }
        _ => outcome(200, "TOO_MANY_MATCHES", "multiple-matches", "information"),
    }
}

/// PDS's reduced search Patient (SPEC §5.2): home address only; usual, nickname and temp names;
/// of the extensions only DeathNotificationStatus; no managingOrganization.
fn search_view(p: &Value) -> Value {
    let mut p = p.clone();
    let o = p.as_object_mut().unwrap();
    if let Some(Value::Array(a)) = o.get_mut("address") {
        a.retain(|ad| ad["use"] == "home");
    }
    if let Some(Value::Array(n)) = o.get_mut("name") {
        n.retain(|x| matches!(x["use"].as_str(), Some("usual" | "nickname" | "temp")));
    }
    if let Some(Value::Array(e)) = o.get_mut("extension") {
        e.retain(|x| {
            x["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("DeathNotificationStatus"))
        });
        if e.is_empty() {
            o.remove("extension");
        }
    }
    o.remove("managingOrganization");
    p
}

#[derive(serde::Deserialize)]
struct Claims {
    sub: String,
    jti: String,
    exp: u64,
}

/// NHS's token endpoint: `client_credentials` with a JWT client assertion.
async fn token(body: String, s: web::Data<Shared>) -> HttpResponse {
    let refuse = |why: String| {
        s.state.assertion_failures.lock().unwrap().push(why.clone());
        HttpResponse::BadRequest()
            .json(json!({"error": "invalid_request", "error_description": why}))
    };
    let Some(check) = &s.knobs.auth else {
        return refuse("authentication is not configured".into());
    };
    let form: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return refuse("grant_type must be client_credentials".into());
    }
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return refuse("client_assertion_type is wrong".into());
    }
    let Some(jwt) = form.get("client_assertion") else {
        return refuse("client_assertion is missing".into());
    };
    let Ok(header) = jsonwebtoken::decode_header(jwt) else {
        return refuse("client_assertion is not a JWT".into());
    };
    if header.alg != Algorithm::RS512 {
        return refuse(format!("alg must be RS512, not {:?}", header.alg));
    }
    if header.kid.as_deref() != Some(check.kid.as_str()) {
        return refuse("Invalid 'kid' header in JWT - no matching public key".into());
    }
    let mut v = Validation::new(Algorithm::RS512);
    v.set_audience(&[s.token_url.as_str()]);
    v.set_issuer(&[check.api_key.as_str()]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let key = DecodingKey::from_rsa_pem(check.public_key_pem.as_bytes()).unwrap();
    let claims = match jsonwebtoken::decode::<Claims>(jwt, &key, &v) {
        Ok(d) => d.claims,
        Err(e) => return refuse(format!("client assertion refused: {e}")),
    };
    if claims.sub != check.api_key {
        return refuse("sub must equal iss (the API key)".into());
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if claims.exp > now + 300 {
        return refuse("Invalid exp claim in JWT - more than 5 minutes in future".into());
    }
    if !s.state.jtis.lock().unwrap().insert(claims.jti) {
        return refuse("Non-unique jti claim in JWT".into());
    }
    let n = s.state.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
    let token = format!("stand-in-token-{n}");
    s.state.tokens.lock().unwrap().insert(token.clone());
    // NHS sends expires_in as a string.
    HttpResponse::Ok().json(json!({"access_token": token, "expires_in": "599",
        "token_type": "Bearer", "issued_at": now.to_string()}))
}
