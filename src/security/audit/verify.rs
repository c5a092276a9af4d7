//! `smsp-bridge audit verify FILE…` (issue 5): walks the chain and reports the first broken or
//! missing record. Directories stand for their audit files in chain order.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

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
    /// Problems found: at most 1 for `verify`, which stops at the first; `search` reads on.
    pub problems: u64,
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

/// One hash chain: the audit files one bridge process wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trail {
    /// The subdirectory it came from, when `paths` was a directory of trails.
    pub name: Option<String>,
    pub files: Vec<PathBuf>,
}

/// The trails at `paths`. Audit files, and directories of them, form one chain in the order
/// given. A single directory that holds no audit files of its own, but subdirectories that do,
/// is a directory of trails: the Helm chart's shared claim, one subdirectory per pod
/// (docs/DEPLOY.md, "The audit log"). Each subdirectory is then its own chain, named by it.
pub fn trails(paths: &[PathBuf]) -> anyhow::Result<Vec<Trail>> {
    if let [dir] = paths {
        if dir.is_dir() && chain::list_files(dir)?.is_empty() {
            let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| anyhow::anyhow!("cannot list {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect();
            subdirs.sort();
            let mut out = Vec::new();
            for sub in subdirs {
                let files = chain::list_files(&sub)?;
                if !files.is_empty() {
                    let name = sub.file_name().map(|n| n.to_string_lossy().into_owned());
                    out.push(Trail { name, files });
                }
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
    }
    Ok(vec![Trail {
        name: None,
        files: expand(paths)?,
    }])
}

/// Checks the chain across `paths`. With `partial`, the first record may start mid-chain (older
/// files archived away); its `prev` is then taken on trust.
pub fn verify(paths: &[PathBuf], partial: bool) -> anyhow::Result<Report> {
    check(&expand(paths)?, partial)
}

/// The chain of `files`, up to its first problem.
fn check(files: &[PathBuf], partial: bool) -> anyhow::Result<Report> {
    walk(files, partial, Walk::StopAtFirstProblem, |_, _| {
        ControlFlow::Continue(())
    })
}

/// How `walk` treats a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Walk {
    /// `audit verify`: the report names the first problem and nothing after it is read.
    StopAtFirstProblem,
    /// `audit search`: every record is read. The first problem is reported and the rest
    /// counted; after each, the chain is checked on from the record found there.
    ReadEverything,
}

/// The last record read: what the next one must link to.
struct Anchor {
    seq: u64,
    hash: String,
    file: PathBuf,
    line: usize,
}

/// Walks the chain across `files` (in chain order), checking each record against the one
/// before it, and hands every line that reads as a record to `visit` with its seq. `visit`
/// may stop the walk (its output has gone); the report then covers what was read.
pub(crate) fn walk(
    files: &[PathBuf],
    partial: bool,
    mode: Walk,
    mut visit: impl FnMut(u64, &[u8]) -> ControlFlow<()>,
) -> anyhow::Result<Report> {
    let mut report = Report {
        files: files.len(),
        records: 0,
        first_seq: None,
        last_seq: None,
        head: GENESIS.to_string(),
        torn_tail: false,
        problem: None,
        problems: 0,
    };
    let mut last: Option<Anchor> = None;
    for (index, file) in files.iter().enumerate() {
        let bytes = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
        let torn = lines.pop().filter(|rest| !rest.is_empty());
        let named_first = chain::first_seq_of(file);
        for (i, line) in lines.iter().enumerate() {
            let n = i + 1;
            let link = serde_json::from_slice::<Link>(line).ok();
            let checked = match &link {
                None => Err(Problem {
                    seq: last.as_ref().map(|l| l.seq + 1),
                    file: file.clone(),
                    line: n,
                    what: "not a valid audit record".into(),
                }),
                Some(link) => check_link(last.as_ref(), link, partial, file, n, named_first),
            };
            match checked {
                Ok(()) => report.records += 1,
                Err(problem) => {
                    report.problems += 1;
                    report.problem.get_or_insert(problem);
                    if mode == Walk::StopAtFirstProblem {
                        return Ok(report);
                    }
                }
            }
            let Some(link) = link else { continue };
            let hash = chain::hash_line(line);
            report.first_seq.get_or_insert(link.seq);
            report.last_seq = Some(link.seq);
            report.head.clone_from(&hash);
            if visit(link.seq, line).is_break() {
                return Ok(report);
            }
            last = Some(Anchor {
                seq: link.seq,
                hash,
                file: file.clone(),
                line: n,
            });
        }
        if torn.is_some() && index + 1 == files.len() {
            report.torn_tail = true;
        } else if torn.is_some() {
            report.problems += 1;
            report.problem.get_or_insert(Problem {
                seq: last.as_ref().map(|l| l.seq + 1),
                file: file.clone(),
                line: lines.len() + 1,
                what: "the file ends in an incomplete record".into(),
            });
            if mode == Walk::StopAtFirstProblem {
                return Ok(report);
            }
        }
    }
    Ok(report)
}

/// Whether `link`, at `file` line `n`, follows `last` in the chain.
fn check_link(
    last: Option<&Anchor>,
    link: &Link,
    partial: bool,
    file: &Path,
    n: usize,
    named_first: Option<u64>,
) -> Result<(), Problem> {
    let problem = |seq: Option<u64>, what: String| Problem {
        seq,
        file: file.to_path_buf(),
        line: n,
        what,
    };
    match last {
        None if link.seq != 1 && !partial => {
            return Err(problem(
                Some(1),
                format!(
                    "records 1..{} are missing (the chain starts at record {}; use --partial if older files were archived)",
                    link.seq - 1,
                    link.seq
                ),
            ));
        }
        None if link.seq == 1 && link.prev != GENESIS => {
            return Err(problem(
                Some(1),
                "record 1 does not start from the genesis hash".into(),
            ));
        }
        None => {}
        Some(last) => {
            let expected = last.seq + 1;
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
                return Err(problem(Some(expected), what));
            }
            if link.seq < expected {
                return Err(problem(
                    Some(link.seq),
                    format!(
                        "record {} is out of order or repeated (expected record {expected})",
                        link.seq
                    ),
                ));
            }
            if link.prev != last.hash {
                // Either the previous record was altered, or this one's link was.
                return Err(Problem {
                    seq: Some(last.seq),
                    file: last.file.clone(),
                    line: last.line,
                    what: format!(
                        "record {} was altered: its hash does not match the prev of record {}",
                        last.seq, link.seq
                    ),
                });
            }
        }
    }
    if n == 1 && named_first.is_some_and(|f| f != link.seq) {
        return Err(problem(
            named_first,
            format!(
                "the file is named for record {} but starts with record {}",
                named_first.unwrap_or_default(),
                link.seq
            ),
        ));
    }
    Ok(())
}

impl Report {
    /// `seq 1..1733`, or `no records`.
    pub fn seq_range(&self) -> String {
        match (self.first_seq, self.last_seq) {
            (Some(a), Some(b)) => format!("seq {a}..{b}"),
            _ => "no records".into(),
        }
    }

    /// A line to add after the report when the trail ends in a torn record.
    pub fn torn_tail_note(&self) -> &'static str {
        if self.torn_tail {
            "\nnote: the trail ends in an incomplete, never-acknowledged record (a crash during a write); the bridge removes it when it next starts"
        } else {
            ""
        }
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            None => write!(
                f,
                "audit chain intact: {} records ({}) in {} file(s); head {}{}",
                self.records,
                self.seq_range(),
                self.files,
                self.head,
                self.torn_tail_note()
            ),
            Some(p) => write!(
                f,
                "audit chain BROKEN at {p}\n{} records verified before it",
                self.records
            ),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(s) => write!(f, "record {s}")?,
            None => f.write_str("an unnamed record")?,
        }
        write!(
            f,
            " ({} line {}): {}",
            self.file.display(),
            self.line,
            self.what
        )
    }
}

/// The CLI: prints a report per trail (prefixed with its name when there are several); exit
/// status 0 only when every chain is intact.
pub fn run(paths: &[PathBuf], partial: bool) -> anyhow::Result<std::process::ExitCode> {
    let mut intact = true;
    for trail in trails(paths)? {
        let report = check(&trail.files, partial)?;
        let prefix = trail.name.map(|n| format!("{n}: ")).unwrap_or_default();
        if report.problem.is_some() {
            intact = false;
            eprintln!("{prefix}{report}");
        } else {
            println!("{prefix}{report}");
        }
    }
    Ok(if intact {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::audit::chain::hash_line;

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

    #[test]
    fn reading_everything_goes_on_past_each_problem() {
        let dir = tempfile::tempdir().unwrap();
        let mut l = lines(8);
        l[2] = l[2].replace("\"u\"", "\"mallory\""); // record 3 altered
        l.remove(5); // record 6 gone
        write(dir.path(), 1, &l);
        let files = expand(&[dir.path().to_path_buf()]).unwrap();
        let mut seen = Vec::new();
        let r = walk(&files, false, Walk::ReadEverything, |seq, line| {
            assert!(std::str::from_utf8(line)
                .unwrap()
                .contains(&format!("\"seq\":{seq},")));
            seen.push(seq);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(seen, [1, 2, 3, 4, 5, 7, 8]);
        assert_eq!(r.problems, 2);
        let p = r.problem.unwrap();
        assert_eq!(p.seq, Some(3), "the first problem is the one named: {p}");
        assert_eq!((r.first_seq, r.last_seq), (Some(1), Some(8)));
        // stopping at the first reads no further
        let mut seen = 0;
        let r = walk(&files, false, Walk::StopAtFirstProblem, |_, _| {
            seen += 1;
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!((seen, r.problems, r.records), (3, 1, 3));
        // nor past a visitor that stops (its output went away)
        let mut seen = 0;
        walk(&files, false, Walk::ReadEverything, |_, _| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, 2);
    }

    #[test]
    fn a_directory_of_pod_directories_is_a_trail_per_pod() {
        let root = tempfile::tempdir().unwrap();
        for pod in ["pod-b", "pod-a"] {
            let dir = root.path().join(pod);
            std::fs::create_dir(&dir).unwrap();
            write(&dir, 1, &lines(2));
        }
        std::fs::create_dir(root.path().join("empty")).unwrap();
        let t = trails(&[root.path().to_path_buf()]).unwrap();
        let names: Vec<_> = t.iter().map(|t| t.name.as_deref().unwrap()).collect();
        assert_eq!(names, ["pod-a", "pod-b"]);
        assert!(t.iter().all(|t| t.files.len() == 1));
        // one pod's directory, or its files, is one unnamed trail
        let pod = root.path().join("pod-a");
        let t = trails(std::slice::from_ref(&pod)).unwrap();
        assert_eq!((t.len(), t[0].name.as_deref()), (1, None));
        // nothing anywhere
        let e = trails(&[root.path().join("empty")]).unwrap_err();
        assert!(e.to_string().contains("no audit files"), "{e}");
    }
}
