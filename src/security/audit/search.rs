//! `smsp-bridge audit search PATH… [filters]`: the records of the audit trail that match, read
//! while the hash chain is checked. The trail exists to answer "who saw this patient's record,
//! and when?" (issue 5; SMSP SPEC §2.2: consumers keep a local audit of every access): a
//! subject access request, a Caldicott or information-governance investigation, a support
//! call about one request. The answer says whether the trail it came from is intact, because
//! a list read from an altered trail proves nothing.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::record::{AuditEntry, Decision};
use super::verify::{self, Report, Walk};
use crate::domain::NhsNumber;

/// `smsp-bridge audit search …`. Filters combine with AND; repeated `--nhs-number`s are
/// alternatives, repeated `--parameter`s must all be present.
#[derive(Debug, clap::Args)]
pub struct SearchArgs {
    /// Audit files in chain order, or directories holding them; or one directory of trails
    /// (a subdirectory per pod), each searched as its own chain.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Records about this patient: the NHS number was disclosed in the answer or named in the
    /// request (refusals included). Checked with Modulus 11, so that a mistyped number is an
    /// error rather than an empty answer. Spaces are allowed ("999 000 0018"). Repeat for
    /// several.
    #[arg(long = "nhs-number", value_name = "NUMBER", value_parser = parse_nhs_number)]
    pub nhs_numbers: Vec<NhsNumber>,
    /// Records of this local user, or of failed logins that claimed this user name.
    #[arg(long)]
    pub user: Option<String>,
    /// Records of this end-user organisation (`NHSD-End-User-Organisation-ODS`).
    #[arg(long)]
    pub ods: Option<String>,
    /// Records whose request carried this FHIR parameter (for example `family=SMITH`); the
    /// value is compared without regard to case, as FHIR string search does.
    #[arg(long, value_name = "NAME=VALUE", value_parser = parse_parameter)]
    pub parameter: Vec<(String, String)>,
    /// The record of the request with this `X-Request-ID`.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Records with this `X-Correlation-ID`.
    #[arg(long)]
    pub correlation_id: Option<String>,
    /// Records with this decision.
    #[arg(long, value_enum)]
    pub decision: Option<Decision>,
    /// From this time on: RFC 3339 (`2026-11-01T09:00:00Z`), or a date, meaning its start (UTC).
    #[arg(long, value_parser = parse_from)]
    pub from: Option<DateTime<Utc>>,
    /// Up to this time, inclusive: RFC 3339, or a date, meaning its end (UTC).
    #[arg(long, value_parser = parse_to)]
    pub to: Option<DateTime<Utc>>,
    /// `jsonl`: each matching record's line exactly as stored; `csv`: a table for a
    /// spreadsheet.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// Accept a chain that starts after record 1 (older files archived elsewhere).
    #[arg(long)]
    pub partial: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

fn parse_nhs_number(s: &str) -> Result<NhsNumber, String> {
    let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    NhsNumber::parse(&digits).map_err(|e| e.to_string())
}

fn parse_parameter(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err("expected NAME=VALUE".into()),
    }
}

fn parse_from(s: &str) -> Result<DateTime<Utc>, String> {
    parse_time(s, NaiveTime::MIN)
}

fn parse_to(s: &str) -> Result<DateTime<Utc>, String> {
    // The last millisecond of the day: record times have milliseconds.
    let end_of_day = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).expect("a valid time");
    parse_time(s, end_of_day)
}

/// RFC 3339, or a bare date at `time_of_day` (UTC).
fn parse_time(s: &str, time_of_day: NaiveTime) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_time(time_of_day).and_utc())
        .map_err(|_| {
            "expected an RFC 3339 time (2026-11-01T09:00:00Z) or a date (2026-11-01)".into()
        })
}

impl SearchArgs {
    /// Whether `entry` passes every filter given.
    fn matches(&self, entry: &AuditEntry) -> bool {
        (self.nhs_numbers.is_empty()
            || self
                .nhs_numbers
                .iter()
                .any(|n| names_patient(entry, n.as_str())))
            && self.user.as_deref().is_none_or(|u| {
                entry.user.as_deref() == Some(u) || entry.claimed_user.as_deref() == Some(u)
            })
            && self.ods.as_deref().is_none_or(|o| {
                entry
                    .ods
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(o))
            })
            && self.parameter.iter().all(|(name, value)| {
                entry
                    .parameters
                    .iter()
                    .any(|(n, v)| n == name && v.to_lowercase() == value.to_lowercase())
            })
            && self
                .request_id
                .as_deref()
                .is_none_or(|r| entry.request_id.as_deref() == Some(r))
            && self
                .correlation_id
                .as_deref()
                .is_none_or(|c| entry.correlation_id.as_deref() == Some(c))
            && self.decision.is_none_or(|d| entry.decision == d)
            && (!self.has_window() || self.in_window(&entry.time))
    }

    fn has_window(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    fn in_window(&self, time: &str) -> bool {
        timestamp(time)
            .is_some_and(|t| self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e))
    }
}

/// A record's `time` (RFC 3339, as the bridge writes it).
fn timestamp(time: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether the record is about NHS number `n`: disclosed in the answer, or named in the request
/// as a value or as the token of an `identifier` (`https://fhir.nhs.uk/Id/nhs-number|N`), so
/// that refused and unanswered requests for the patient are found too.
fn names_patient(entry: &AuditEntry, n: &str) -> bool {
    entry.nhs_numbers.iter().any(|x| x == n)
        || entry
            .parameters
            .iter()
            .any(|(_, v)| v.rsplit('|').next().map(str::trim) == Some(n))
}

/// What a search found in one trail, and the state of its chain.
#[derive(Debug)]
pub struct Outcome {
    /// The trail's name when a directory of trails was searched (`verify::trails`).
    pub trail: Option<String>,
    /// Records read (every line that parsed as a chain record).
    pub scanned: u64,
    pub matched: u64,
    /// Chain records whose fields could not be read as an audit entry, or whose time could not
    /// be read when a time window was given: not searched.
    pub unreadable: u64,
    pub chain: Report,
}

/// Searches the trails at `args.files`, writing each match to `out` as it is found.
pub fn search(args: &SearchArgs, out: &mut dyn Write) -> anyhow::Result<Vec<Outcome>> {
    let trails = verify::trails(&args.files)?;
    // Several trails are always named (`verify::trails`), and their seqs repeat.
    let named = trails.iter().any(|t| t.name.is_some());
    let mut sink = Sink::new(args.format, named, out);
    let progress = progress_bar(trails.iter().flat_map(|t| &t.files));
    let mut outcomes = Vec::new();
    for trail in trails {
        let (mut scanned, mut matched, mut unreadable) = (0, 0, 0);
        let name = trail.name.as_deref().unwrap_or_default();
        let chain = verify::walk(
            &trail.files,
            args.partial,
            Walk::ReadEverything,
            |seq, line| {
                scanned += 1;
                progress.inc(line.len() as u64 + 1);
                match serde_json::from_slice::<AuditEntry>(line) {
                    // A time the window cannot be applied to is not a non-match: it is counted.
                    Ok(entry) if args.has_window() && timestamp(&entry.time).is_none() => {
                        unreadable += 1;
                    }
                    Ok(entry) if args.matches(&entry) => {
                        matched += 1;
                        sink.write(name, seq, line, &entry);
                    }
                    Ok(_) => {}
                    Err(_) => unreadable += 1,
                }
                // Once the output has gone (a closed pipe), reading on would be for nothing.
                if sink.error.is_some() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )?;
        outcomes.push(Outcome {
            trail: trail.name,
            scanned,
            matched,
            unreadable,
            chain,
        });
    }
    progress.finish_and_clear();
    sink.finish()?;
    Ok(outcomes)
}

/// A bar by bytes read, on standard error when it is a terminal (a trail of years takes
/// minutes: about 3 s per million records, docs/PERFORMANCE.md); hidden otherwise. It shows
/// counts only.
fn progress_bar<'a>(files: impl Iterator<Item = &'a PathBuf>) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let total = files
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes}  ETA {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

/// The output. It keeps the first write error (a closed pipe, a full disk), which stops the
/// walk (`search`) and is returned by `finish`.
struct Sink<'a> {
    out: Out<'a>,
    /// Records from a directory of trails carry their trail's name (seqs repeat across trails).
    named: bool,
    error: Option<anyhow::Error>,
}

enum Out<'a> {
    Jsonl(&'a mut dyn Write),
    // Boxed: the CSV writer carries its buffer and state inline.
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
}

/// The CSV columns: the trail's name (empty for a single trail), then one per record field
/// (`parameters`, `roles` and `nhs_numbers` joined).
const CSV_HEADER: [&str; 23] = [
    "trail",
    "seq",
    "time",
    "user",
    "claimed_user",
    "auth",
    "roles",
    "ods",
    "client",
    "method",
    "route",
    "interaction",
    "parameters",
    "decision",
    "smsp_interaction",
    "smsp_message_id",
    "smsp_outcome",
    "nhs_numbers",
    "cache",
    "status",
    "latency_ms",
    "request_id",
    "correlation_id",
];

impl<'a> Sink<'a> {
    fn new(format: Format, named: bool, out: &'a mut dyn Write) -> Self {
        match format {
            Format::Jsonl => Self {
                out: Out::Jsonl(out),
                named,
                error: None,
            },
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                let error = w.write_record(CSV_HEADER).err().map(Into::into);
                Self {
                    out: Out::Csv(Box::new(w)),
                    named,
                    error,
                }
            }
        }
    }

    fn write(&mut self, trail: &str, seq: u64, line: &[u8], entry: &AuditEntry) {
        if self.error.is_some() {
            return;
        }
        let named = self.named;
        let result: anyhow::Result<()> = match &mut self.out {
            // The stored line itself; from a directory of trails, inside
            // `{"trail":…,"record":…}` (the line is a JSON object, kept byte for byte).
            Out::Jsonl(out) if named => write_named(out, trail, line),
            Out::Jsonl(out) => out
                .write_all(line)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(Into::into),
            Out::Csv(w) => {
                let row = csv_row(trail, seq, entry);
                w.write_record(row.iter().map(|c| spreadsheet_safe(c).into_owned()))
                    .map_err(Into::into)
            }
        };
        self.error = result.err();
    }

    fn finish(self) -> anyhow::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        match self.out {
            Out::Jsonl(out) => out.flush()?,
            Out::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// `{"trail":…,"record":<line>}`: the line is a JSON object, so it is kept byte for byte.
fn write_named(out: &mut dyn Write, trail: &str, line: &[u8]) -> anyhow::Result<()> {
    out.write_all(b"{\"trail\":")?;
    serde_json::to_writer(&mut *out, trail)?;
    out.write_all(b",\"record\":")?;
    out.write_all(line)?;
    out.write_all(b"}\n")?;
    Ok(())
}

fn csv_row(trail: &str, seq: u64, e: &AuditEntry) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let smsp = e.smsp.as_ref();
    vec![
        trail.to_string(),
        seq.to_string(),
        e.time.clone(),
        opt(&e.user),
        opt(&e.claimed_user),
        opt(&e.auth),
        e.roles.join(" "),
        opt(&e.ods),
        opt(&e.client),
        e.method.clone(),
        opt(&e.route),
        e.interaction.clone(),
        e.parameters
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; "),
        // the name `--decision` takes, which is the record's (both kebab-case)
        clap::ValueEnum::to_possible_value(&e.decision)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default(),
        smsp.map(|s| s.interaction.clone()).unwrap_or_default(),
        smsp.and_then(|s| s.message_id.clone()).unwrap_or_default(),
        smsp.map(|s| s.outcome.clone()).unwrap_or_default(),
        e.nhs_numbers.join(" "),
        e.cache.clone(),
        e.status.to_string(),
        e.latency_ms.to_string(),
        opt(&e.request_id),
        opt(&e.correlation_id),
    ]
}

/// A cell a spreadsheet will not run as a formula. Request ids, user names and parameters are
/// recorded as the caller sent them, so a cell may start with `=`, `+`, `-` or `@`; such cells
/// get a leading `'` (OWASP, "CSV Injection"). The JSON Lines output is the exact record.
fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The CLI: matches on stdout, the summary on stderr; exit status 0 only for an intact chain.
pub fn run(args: &SearchArgs) -> anyhow::Result<std::process::ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let outcomes = search(args, &mut out)?;
    drop(out);
    for o in &outcomes {
        eprintln!("{}", summary(o));
    }
    Ok(if outcomes.iter().all(|o| o.chain.problems == 0) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

/// The summary line(s) of one trail: how many matched, and whether its chain is intact.
pub fn summary(o: &Outcome) -> String {
    let c = &o.chain;
    let trail = o
        .trail
        .as_deref()
        .map(|t| format!(" [{t}]"))
        .unwrap_or_default();
    let mut s = format!(
        "audit search{trail}: {} of {} records matched ({} in {} file(s)); ",
        o.matched,
        o.scanned,
        c.seq_range(),
        c.files
    );
    match &c.problem {
        None => s.push_str(&format!("chain intact, head {}", c.head)),
        Some(p) => s.push_str(&format!(
            "chain BROKEN ({} problem(s)), the first at {p}\nThe trail fails verification: the matches may have been altered, and records may be missing",
            c.problems
        )),
    }
    if o.unreadable > 0 {
        s.push_str(&format!(
            "\nwarning: {} record(s) in the chain could not be read as audit entries and were not searched",
            o.unreadable
        ));
    }
    s.push_str(c.torn_tail_note());
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SearchArgs,
    }

    fn args(extra: &[&str]) -> Result<SearchArgs, clap::Error> {
        let mut argv = vec!["search", "trail"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).map(|c| c.args)
    }

    fn entry() -> AuditEntry {
        AuditEntry {
            time: "2026-11-22T10:31:02.123Z".into(),
            request_id: Some("60e0b220-8136-4ca5-ae46-1d97ef59d068".into()),
            user: Some("alice".into()),
            ods: Some("Y12345".into()),
            parameters: vec![
                ("family".into(), "Fairweather".into()),
                ("birthdate".into(), "eq1980-01-15".into()),
            ],
            nhs_numbers: vec!["9990001006".into()],
            ..AuditEntry::default()
        }
    }

    #[test]
    fn a_patient_is_found_by_disclosure_or_by_request() {
        let by = |n: &str, e: &AuditEntry| args(&["--nhs-number", n]).unwrap().matches(e);
        assert!(by("999 000 1006", &entry()));
        assert!(!by("9990000018", &entry()));
        let refused = |p: (&str, &str)| AuditEntry {
            parameters: vec![(p.0.into(), p.1.into())],
            nhs_numbers: vec![],
            ..entry()
        };
        assert!(by("9990000018", &refused(("id", "9990000018"))));
        assert!(by("9990000018", &refused(("nhs-number", "9990000018"))));
        assert!(by(
            "9990000018",
            &refused(("identifier", "https://fhir.nhs.uk/Id/nhs-number|9990000018"))
        ));
        assert!(!by("9990000018", &refused(("id", "99900000181"))));
        // either of two numbers
        let two = args(&["--nhs-number", "9990000018", "--nhs-number", "9990001006"]).unwrap();
        assert!(two.matches(&entry()));
    }

    #[test]
    fn a_mistyped_number_or_time_is_an_error_not_an_empty_answer() {
        let e = args(&["--nhs-number", "9990001007"]).err().unwrap();
        assert!(e.to_string().contains("check digit"), "{e}");
        assert!(args(&["--nhs-number", "999000100"]).is_err());
        assert!(args(&["--from", "yesterday"]).is_err());
        assert!(args(&["--parameter", "family"]).is_err());
        assert!(args(&["--decision", "maybe"]).is_err());
    }

    /// Whether `entry()` passes the filters `extra`.
    fn m(extra: &[&str]) -> bool {
        args(extra).unwrap().matches(&entry())
    }

    #[test]
    fn filters_combine() {
        assert!(m(&[]));
        assert!(m(&["--user", "alice", "--ods", "y12345"]));
        assert!(!m(&["--user", "bob"]));
        let failed_login = AuditEntry {
            user: None,
            claimed_user: Some("bob".into()),
            decision: Decision::Unauthenticated,
            ..entry()
        };
        let bob = args(&["--user", "bob", "--decision", "unauthenticated"]).unwrap();
        assert!(bob.matches(&failed_login));
        assert!(!m(&["--decision", "forbidden"]));
        assert!(m(&[
            "--parameter",
            "family=FAIRWEATHER",
            "--parameter",
            "birthdate=eq1980-01-15"
        ]));
        assert!(!m(&[
            "--parameter",
            "family=FAIRWEATHER",
            "--parameter",
            "given=Jane"
        ]));
        assert!(m(&["--request-id", "60e0b220-8136-4ca5-ae46-1d97ef59d068"]));
        assert!(!m(&["--correlation-id", "c"]));
    }

    #[test]
    fn a_date_covers_the_whole_day_and_times_are_inclusive() {
        assert!(m(&["--from", "2026-11-22", "--to", "2026-11-22"]));
        assert!(!m(&["--from", "2026-11-23"]));
        assert!(!m(&["--to", "2026-11-21"]));
        assert!(m(&[
            "--from",
            "2026-11-22T10:31:02.123Z",
            "--to",
            "2026-11-22T10:31:02.123Z"
        ]));
        assert!(!m(&["--to", "2026-11-22T10:31:02.122Z"]));
        // an offset is honoured: 11:31 in UTC+1 is the record's 10:31 UTC
        assert!(m(&[
            "--from",
            "2026-11-22T11:31:00+01:00",
            "--to",
            "2026-11-22T11:32:00+01:00"
        ]));
    }

    #[test]
    fn a_spreadsheet_never_sees_a_formula() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(spreadsheet_safe(c).starts_with('\''), "{c:?}");
        }
        assert_eq!(spreadsheet_safe("alice"), "alice");
        assert_eq!(spreadsheet_safe(""), "");
    }

    /// A trail of `entries` in the bridge's own format, in a temporary directory.
    fn trail(entries: &[AuditEntry]) -> tempfile::TempDir {
        use crate::security::audit::{chain, record};
        let dir = tempfile::tempdir().unwrap();
        let mut prev = chain::GENESIS.to_string();
        let mut text = Vec::new();
        for (seq, e) in (1..).zip(entries) {
            let line = record::line(seq, &prev, &e.to_json().unwrap()).unwrap();
            prev = chain::hash_line(&line);
            text.extend_from_slice(&line);
            text.push(b'\n');
        }
        std::fs::write(dir.path().join(chain::file_name(1)), text).unwrap();
        dir
    }

    fn search_in(dir: &tempfile::TempDir, extra: &[&str]) -> (Outcome, String) {
        let mut argv = vec!["search", dir.path().to_str().unwrap()];
        argv.extend_from_slice(extra);
        let args = Cli::try_parse_from(argv).unwrap().args;
        let mut out = Vec::new();
        let mut outcomes = search(&args, &mut out).unwrap();
        assert_eq!(outcomes.len(), 1);
        (outcomes.remove(0), String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_time_the_window_cannot_read_is_counted_not_passed_over() {
        let odd = AuditEntry {
            time: "22/11/2026 10:31".into(),
            ..entry()
        };
        let dir = trail(&[entry(), odd]);
        let (o, out) = search_in(&dir, &["--from", "2026-11-01"]);
        assert_eq!((o.scanned, o.matched, o.unreadable), (2, 1, 1));
        assert_eq!(out.lines().count(), 1);
        assert!(summary(&o).contains("1 record(s) in the chain could not be read"));
        // without a window the time is not needed
        let (o, _) = search_in(&dir, &[]);
        assert_eq!((o.matched, o.unreadable), (2, 0));
        assert_eq!(o.chain.problems, 0);
    }

    #[test]
    fn output_that_goes_away_is_an_error() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let dir = trail(&[entry(), entry()]);
        let args = Cli::try_parse_from(["search", dir.path().to_str().unwrap()])
            .unwrap()
            .args;
        let e = search(&args, &mut Closed).unwrap_err();
        assert!(e.to_string().to_lowercase().contains("broken pipe"), "{e}");
    }

    #[test]
    fn the_csv_names_a_decision_as_the_record_does() {
        use clap::ValueEnum;
        let column = CSV_HEADER.iter().position(|h| *h == "decision").unwrap();
        for d in Decision::value_variants() {
            let record = serde_json::to_value(d).unwrap();
            assert_eq!(
                csv_row(
                    "",
                    1,
                    &AuditEntry {
                        decision: *d,
                        ..entry()
                    }
                )[column],
                record
            );
        }
    }
}
