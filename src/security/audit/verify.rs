//! `smsp-bridge audit verify FILE…` (issue 5): walks the chain and reports the first broken or
//! missing record. Directories stand for their audit files in chain order.

use std::path::PathBuf;

use super::chain::{self, GENESIS};
use super::record::Link;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The first record that is broken or missing, when a seq can be named.
    pub seq: Option<u64>,
    pub file: PathBuf,
    /// 1-based line in `file`.
    pub line: usize,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub files: usize,
    /// Records checked before the first problem (all of them when there is none).
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    /// Hash of the last good record's line: the chain head. Keep it somewhere else to detect a
    /// later truncation of the tail, which a chain alone cannot show.
    pub head: String,
    /// The last file ends in an incomplete record: a crash during a write. Such a record was
    /// never acknowledged (answers wait for the sync) and the bridge cuts it off at start-up,
    /// so it is reported but does not fail verification.
    pub torn_tail: bool,
    pub problem: Option<Problem>,
}

/// Expands directories into their audit files (sorted); plain files keep the given order.
fn expand(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(chain::list_files(p)?);
        } else {
            out.push(p.clone());
        }
    }
    if out.is_empty() {
        anyhow::bail!("no audit files given");
    }
    Ok(out)
}

/// Checks the chain across `paths`. With `partial`, the first record may start mid-chain (older
/// files archived away); its `prev` is then taken on trust.
pub fn verify(paths: &[PathBuf], partial: bool) -> anyhow::Result<Report> {
    let files = expand(paths)?;
    let mut report = Report {
        files: files.len(),
        records: 0,
        first_seq: None,
        last_seq: None,
        head: GENESIS.to_string(),
        torn_tail: false,
        problem: None,
    };
    // (seq, hash, file, line) of the last good record.
    let mut last: Option<(u64, String, PathBuf, usize)> = None;
    for (index, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        let problem = |seq: Option<u64>, line: usize, what: String| Problem {
            seq,
            file: file.clone(),
            line,
            what,
        };
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let torn = lines.pop().filter(|rest| !rest.is_empty());
        let named_first = chain::first_seq_of(file);
        for (i, line) in lines.iter().enumerate() {
            let n = i + 1;
            let Ok(link) = serde_json::from_slice::<Link>(line) else {
                let seq = last.as_ref().map(|l| l.0 + 1);
                report.problem = Some(problem(seq, n, "not a valid audit record".into()));
                return Ok(report);
            };
            match &last {
                None if link.seq != 1 && !partial => {
                    report.problem = Some(problem(
                        Some(1),
                        n,
                        format!(
                            "records 1..{} are missing (the chain starts at record {}; use --partial if older files were archived)",
                            link.seq - 1,
                            link.seq
                        ),
                    ));
                    return Ok(report);
                }
                None if link.seq == 1 && link.prev != GENESIS => {
                    report.problem = Some(problem(
                        Some(1),
                        n,
                        "record 1 does not start from the genesis hash".into(),
                    ));
                    return Ok(report);
                }
                None => {}
                Some((seq, hash, prev_file, prev_line)) => {
                    let expected = seq + 1;
                    if link.seq > expected {
                        let what = if link.seq == expected + 1 {
                            format!(
                                "record {expected} is missing (found record {} next)",
                                link.seq
                            )
                        } else {
                            format!(
                                "records {expected}..{} are missing (found record {} next)",
                                link.seq - 1,
                                link.seq
                            )
                        };
                        report.problem = Some(problem(Some(expected), n, what));
                        return Ok(report);
                    }
                    if link.seq < expected {
                        report.problem = Some(problem(
                            Some(link.seq),
                            n,
                            format!("record {} is out of order or repeated (expected record {expected})", link.seq),
                        ));
                        return Ok(report);
                    }
                    if link.prev != *hash {
                        // Either the previous record was altered, or this one's link was.
                        report.problem = Some(Problem {
                            seq: Some(*seq),
                            file: prev_file.clone(),
                            line: *prev_line,
                            what: format!(
                                "record {seq} was altered: its hash does not match the prev of record {}",
                                link.seq
                            ),
                        });
                        return Ok(report);
                    }
                }
            }
            if n == 1 && named_first.is_some_and(|f| f != link.seq) {
                report.problem = Some(problem(
                    named_first,
                    n,
                    format!(
                        "the file is named for record {} but starts with record {}",
                        named_first.unwrap_or_default(),
                        link.seq
                    ),
                ));
                return Ok(report);
            }
            let hash = chain::hash_line(line);
            report.records += 1;
            report.first_seq.get_or_insert(link.seq);
            report.last_seq = Some(link.seq);
            report.head = hash.clone();
            last = Some((link.seq, hash, file.clone(), n));
        }
        if torn.is_some() && index + 1 == files.len() {
            report.torn_tail = true;
        } else if torn.is_some() {
            let seq = last.as_ref().map(|l| l.0 + 1);
            report.problem = Some(problem(
                seq,
                lines.len() + 1,
                "the file ends in an incomplete record".into(),
            ));
            return Ok(report);
        }
    }
    Ok(report)
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            None => write!(
                f,
                "audit chain intact: {} records ({}) in {} file(s); head {}{}",
                self.records,
                match (self.first_seq, self.last_seq) {
                    (Some(a), Some(b)) => format!("seq {a}..{b}"),
                    _ => "none".into(),
                },
                self.files,
                self.head,
                if self.torn_tail {
                    "\nnote: the trail ends in an incomplete, never-acknowledged record (a crash during a write); the bridge removes it when it next starts"
                } else {
                    ""
                }
            ),
            Some(p) => write!(
                f,
                "audit chain BROKEN at {} ({} line {}): {}\n{} records verified before it",
                p.seq
                    .map_or("an unnamed record".to_string(), |s| format!("record {s}")),
                p.file.display(),
                p.line,
                p.what,
                self.records
            ),
        }
    }
}

/// The CLI: prints the report; exit status 0 only for an intact chain.
pub fn run(paths: &[PathBuf], partial: bool) -> anyhow::Result<std::process::ExitCode> {
    let report = verify(paths, partial)?;
    if report.problem.is_some() {
        eprintln!("{report}");
        Ok(std::process::ExitCode::FAILURE)
    } else {
        println!("{report}");
        Ok(std::process::ExitCode::SUCCESS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::audit::chain::hash_line;
    use std::path::Path;

    /// A chain of `n` minimal records as lines.
    fn lines(n: u64) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let l = format!(r#"{{"seq":{seq},"prev":"{prev}","user":"u"}}"#);
                prev = hash_line(l.as_bytes());
                l
            })
            .collect()
    }

    fn write(dir: &Path, first: u64, lines: &[String]) -> PathBuf {
        let p = dir.join(chain::file_name(first));
        std::fs::write(
            &p,
            lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
        )
        .unwrap();
        p
    }

    fn check(dir: &Path) -> Report {
        verify(&[dir.to_path_buf()], false).unwrap()
    }

    #[test]
    fn an_intact_chain_across_files_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let l = lines(5);
        write(dir.path(), 1, &l[..2]);
        write(dir.path(), 3, &l[2..]);
        let r = check(dir.path());
        assert_eq!(r.problem, None);
        assert_eq!((r.records, r.first_seq, r.last_seq), (5, Some(1), Some(5)));
        assert_eq!(r.head, hash_line(l[4].as_bytes()));
    }

    #[test]
    fn finds_the_first_broken_or_missing_record() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = lines(5);
        l[2] = l[2].replace("\"u\"", "\"mallory\"");
        write(dir.path(), 1, &l);
        let p = check(dir.path()).problem.unwrap();
        assert_eq!((p.seq, p.line), (Some(3), 3), "{p:?}");
        assert!(p.what.contains("altered"));

        let dir = tempfile::tempdir().unwrap();
        let mut l = lines(5);
        l.remove(3);
        write(dir.path(), 1, &l);
        let p = check(dir.path()).problem.unwrap();
        assert_eq!(p.seq, Some(4));
        assert!(p.what.contains("record 4 is missing"), "{p:?}");

        // a whole file gone from the middle
        let dir = tempfile::tempdir().unwrap();
        let l = lines(6);
        write(dir.path(), 1, &l[..2]);
        write(dir.path(), 5, &l[4..]);
        let p = check(dir.path()).problem.unwrap();
        assert_eq!(p.seq, Some(3));

        // the start gone
        let dir = tempfile::tempdir().unwrap();
        let l = lines(4);
        let f = write(dir.path(), 3, &l[2..]);
        assert_eq!(check(dir.path()).problem.unwrap().seq, Some(1));
        assert_eq!(verify(&[f], true).unwrap().problem, None);

        // a torn record at the end of the trail is a crash, not a break…
        let dir = tempfile::tempdir().unwrap();
        let l = lines(3);
        let f = write(dir.path(), 1, &l[..2]);
        std::fs::write(&f, format!("{}\n{}", l[0], &l[1][..10])).unwrap();
        let r = check(dir.path());
        assert_eq!((r.problem, r.torn_tail, r.records), (None, true, 1));
        // …but inside the trail it is
        write(dir.path(), 2, &l[1..]);
        let p = check(dir.path()).problem.unwrap();
        assert_eq!((p.seq, p.line), (Some(2), 2));
    }
}
