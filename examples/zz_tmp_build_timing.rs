use smsp_bridge::domain::*;
use smsp_bridge::smsp::*;
fn main() {
    let ctx = EnvelopeContext::new("https://smsp.example.invalid/smsp/pds", "https://bridge", "user", AuditIdentity::local_user("ZZ1", "u"));
    let mut q = Query::new(PartialDate::full(1987, 2, 15).unwrap());
    q.gender = Some(Gender::Female);
    q.nhs_number = Some(NhsNumber::parse("9990000069").unwrap());
    q.name = Some(QueryName { given: Some("Zoë".into()), family: Some("O'Brien & Sons".into()) });
    q.postcode = Some("ZZ9 1AA".into());
    let n = 200_000;
    let mut total = 0usize;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let s = build::request_envelope(Interaction::GetPatientDetails, &q, &ctx).unwrap();
        total += s.len();
    }
    let per = t.elapsed() / n;
    println!("request build: {:?} per message ({} bytes)", per, total / n as usize);
    let body = build::request_envelope(Interaction::GetPatientDetails, &q, &ctx).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..20_000 { let _ = parse::request(body.as_bytes()).unwrap(); }
    println!("request parse: {:?}", t.elapsed() / 20_000);
    let resp = std::fs::read("tests/fixtures/smsp/getpatientdetails-response-allfields.xml").unwrap();
    let t = std::time::Instant::now();
    for _ in 0..20_000 { let _ = parse::reply(&resp).unwrap(); }
    println!("reply parse (all fields): {:?}", t.elapsed() / 20_000);
}
