//! Writes a synthetic audit trail of N records, in the bridge's own record format and hash
//! chain (`record::line`, `chain::hash_line`, files rotated at 64 MiB as the writer does), for
//! measuring `smsp-bridge audit verify` and `audit search` on a trail of realistic size
//! (`scripts/audit-search-speed.sh`; docs/PERFORMANCE.md, "Audit search").
//!
//! ```sh
//! cargo run --release --example audit_trail -- /tmp/trail 1000000
//! ```
//!
//! Reads, searches and verifies by 50 users for 10 000 synthetic patients (NHS numbers from
//! `NhsNumber::from_stem`, in the 999 test range), one in twenty refused. Deterministic: the
//! same N gives the same files.

use std::io::Write;
use std::path::PathBuf;

use smsp_bridge::domain::NhsNumber;
use smsp_bridge::security::audit::{chain, record, AuditEntry, Decision, SmspEntry};

const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: audit_trail DIR RECORDS");
    };
    let dir = PathBuf::from(dir);
    let n: u64 = n.parse()?;
    std::fs::create_dir_all(&dir)?;
    anyhow::ensure!(
        chain::list_files(&dir)?.is_empty(),
        "{} already holds audit files",
        dir.display()
    );
    let patients: Vec<NhsNumber> = (999_000_000u32..)
        .filter_map(NhsNumber::from_stem)
        .take(10_000)
        .collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*: enough spread for a synthetic mix, and the same on every run.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut prev = chain::GENESIS.to_string();
    let mut file = None;
    let mut written = 0u64;
    for seq in 1..=n {
        let r = next();
        let patient = patients[(r % patients.len() as u64) as usize].to_string();
        let entry = entry(seq, r, &patient);
        let line = record::line(seq, &prev, &entry.to_json()?)?;
        if file.is_none() || written + line.len() as u64 + 1 > MAX_FILE_BYTES {
            file = Some(std::io::BufWriter::new(std::fs::File::create(
                dir.join(chain::file_name(seq)),
            )?));
            written = 0;
        }
        let out = file.as_mut().expect("opened above");
        out.write_all(&line)?;
        out.write_all(b"\n")?;
        written += line.len() as u64 + 1;
        prev = chain::hash_line(&line);
    }
    if let Some(mut f) = file {
        f.flush()?;
    }
    println!("{n} records in {}", dir.display());
    Ok(())
}

fn entry(seq: u64, r: u64, patient: &str) -> AuditEntry {
    let (interaction, parameters, smsp) = match r % 3 {
        0 => (
            "read",
            vec![
                ("id".to_string(), patient.to_string()),
                ("X-SMSP-Birth-Date".into(), "1980-01-15".into()),
            ],
            "getPatientDetailsByNHSNumber",
        ),
        1 => (
            "search",
            vec![
                ("family".to_string(), "FAIRWEATHER".to_string()),
                ("gender".into(), "male".into()),
                ("birthdate".into(), "eq1980-01-15".into()),
            ],
            "getPatientDetailsBySearch",
        ),
        _ => (
            "verify",
            vec![
                ("nhs-number".to_string(), patient.to_string()),
                ("birthdate".into(), "1980-01-15".into()),
            ],
            "verifyNHSNumber",
        ),
    };
    let refused = (r >> 8) % 20 == 0;
    let seconds = 1_795_000_000 + seq / 10;
    AuditEntry {
        time: chrono::DateTime::from_timestamp(seconds as i64, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        request_id: Some(uuid::Uuid::from_u64_pair(r, seq).to_string()),
        correlation_id: None,
        user: Some(format!("user{:02}", (r >> 16) % 50)),
        claimed_user: None,
        auth: Some("basic".into()),
        roles: vec!["read".into(), "search".into(), "verify".into()],
        ods: Some("Y12345".into()),
        client: Some("10.0.4.17:51812".into()),
        method: "GET".into(),
        route: Some("/personal-demographics/FHIR/R4/Patient/{id}".into()),
        interaction: interaction.into(),
        parameters,
        decision: if refused {
            Decision::Forbidden
        } else {
            Decision::Allowed
        },
        smsp: (!refused).then(|| SmspEntry {
            interaction: smsp.into(),
            message_id: Some(uuid::Uuid::from_u64_pair(seq, r).to_string().to_uppercase()),
            outcome: "SMSP-0000".into(),
        }),
        nhs_numbers: if refused {
            vec![]
        } else {
            vec![patient.to_string()]
        },
        cache: "MISS".into(),
        status: if refused { 403 } else { 200 },
        latency_ms: 41.337,
    }
}
