//! The hash chain and its files (issue 5): each record carries `seq` and the SHA-256 of the
//! previous record's line, so altering, removing or reordering a record breaks the chain at
//! that point. Files are named `audit-<first seq, 20 digits>.jsonl`; the chain runs on across
//! them.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// `prev` of record 1.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Lower-case hex SHA-256 of one line (without its newline).
pub fn hash_line(line: &[u8]) -> String {
    let digest = Sha256::digest(line);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

pub fn file_name(first_seq: u64) -> String {
    format!("audit-{first_seq:020}.jsonl")
}

/// The first seq a file name claims, if it is an audit file name.
pub fn first_seq_of(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix("audit-")?
        .strip_suffix(".jsonl")?
        .parse()
        .ok()
}

/// The audit files in `dir`, in chain order.
pub fn list_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| first_seq_of(&p).map(|n| (n, p)))
        .collect();
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}

/// Where the chain stands: the next record's seq and `prev`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub next_seq: u64,
    pub prev: String,
}

impl Head {
    pub fn genesis() -> Self {
        Self {
            next_seq: 1,
            prev: GENESIS.to_string(),
        }
    }
}

/// The state found on disk at start-up.
#[derive(Debug)]
pub struct Recovered {
    pub head: Head,
    /// The newest file, to append to (`None`: start a new one).
    pub current: Option<PathBuf>,
    /// Bytes removed from the end of `current`: a record torn by a crash. It was never
    /// acknowledged (a response waits for its record's sync), so no answer depended on it.
    pub torn_bytes: u64,
}

/// Finds the chain head in `dir` (created if missing). A torn last line is cut off; empty
/// trailing files are removed so file names stay in step with seqs.
pub fn recover(dir: &Path) -> anyhow::Result<Recovered> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut files = list_files(dir)?;
    let mut torn_bytes = 0;
    while let Some(last) = files.last().cloned() {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&last)
            .with_context(|| format!("cannot open {}", last.display()))?;
        let (line, keep) = last_line(&mut file)?;
        let len = file.metadata()?.len();
        if keep < len {
            file.set_len(keep)?;
            file.sync_all()?;
            torn_bytes += len - keep;
        }
        match line {
            Some(line) => {
                let link = last_link(&last, &line)?;
                return Ok(Recovered {
                    head: Head {
                        next_seq: link.seq + 1,
                        prev: hash_line(&line),
                    },
                    current: Some(last),
                    torn_bytes,
                });
            }
            None => {
                std::fs::remove_file(&last)
                    .with_context(|| format!("cannot remove empty {}", last.display()))?;
                files.pop();
            }
        }
    }
    Ok(Recovered {
        head: Head::genesis(),
        current: None,
        torn_bytes,
    })
}

/// What `recover` would refuse, found without changing anything (`check-config`): the directory
/// is one (or can be made), the bridge can write in it, and the newest audit file opens for
/// writing and ends in a record whose place in the chain can be read. A torn last line, which
/// `recover` cuts off, is not a problem.
pub fn preflight(dir: &Path) -> anyhow::Result<()> {
    // `recover` creates the directory: then the nearest directory above it must take one.
    // (A relative path's last ancestor is "", which stands for the working directory.)
    let existing = dir
        .ancestors()
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .find(|a| a.exists())
        .unwrap_or(dir);
    if !existing.is_dir() {
        anyhow::bail!("{} is not a directory", existing.display());
    }
    probe_write(existing)?;
    if existing != dir {
        return Ok(());
    }
    for last in list_files(dir)?.iter().rev() {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(last)
            .with_context(|| format!("cannot open {} for writing", last.display()))?;
        if let (Some(line), _) = last_line(&mut file)? {
            return last_link(last, &line).map(drop);
        }
    }
    Ok(())
}

/// The place in the chain of `file`'s last record, from which the writer carries on.
fn last_link(file: &Path, line: &[u8]) -> anyhow::Result<super::record::Link> {
    serde_json::from_slice(line)
        .with_context(|| format!("{}: the last record is not valid JSON", file.display()))
}

/// Creates, syncs and removes a hidden file in `dir`: the audit writer's own operations, so a
/// read-only mount, missing permission or a full disk shows here. Audit files are found by
/// name (`list_files`), so the probe can never be taken for one.
fn probe_write(dir: &Path) -> anyhow::Result<()> {
    use std::io::Write;
    let probe = dir.join(format!(".smsp-bridge-check-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| f.write_all(b"\n").and_then(|()| f.sync_data()));
    let removed = std::fs::remove_file(&probe);
    written
        .and(removed)
        .with_context(|| format!("cannot write in {}", dir.display()))
}

/// The last complete line of a file and the length up to and including its newline. Reads
/// from the end in growing windows, so start-up does not read a whole 64 MiB file.
fn last_line(file: &mut File) -> anyhow::Result<(Option<Vec<u8>>, u64)> {
    let len = file.metadata()?.len();
    let mut window: u64 = 64 * 1024;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        file.take(len - start).read_to_end(&mut buf)?;
        // Everything after the last newline is a torn record.
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            if start == 0 {
                return Ok((None, 0));
            }
            window *= 2;
            continue;
        };
        let line_start = buf[..end].iter().rposition(|&b| b == b'\n').map(|i| i + 1);
        match line_start {
            Some(s) => return Ok((Some(buf[s..end].to_vec()), start + end as u64 + 1)),
            None if start == 0 => return Ok((Some(buf[..end].to_vec()), end as u64 + 1)),
            None => window *= 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lower_hex_sha256() {
        assert_eq!(
            hash_line(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(GENESIS.len(), 64);
    }

    #[test]
    fn names_sort_in_chain_order() {
        assert_eq!(file_name(12), "audit-00000000000000000012.jsonl");
        assert_eq!(
            first_seq_of(Path::new("/x/audit-00000000000000000012.jsonl")),
            Some(12)
        );
        assert_eq!(first_seq_of(Path::new("/x/other.jsonl")), None);
    }

    #[test]
    fn recovery_cuts_a_torn_line_and_finds_the_head() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(recover(dir.path()).unwrap().head, Head::genesis());
        let first = dir.path().join(file_name(1));
        let l1 = format!(r#"{{"seq":1,"prev":"{GENESIS}"}}"#);
        let l2 = format!(r#"{{"seq":2,"prev":"{}"}}"#, hash_line(l1.as_bytes()));
        std::fs::write(&first, format!("{l1}\n{l2}\n{{\"seq\":3,\"pr")).unwrap();
        // an empty newer file (crash right after a rotation) is removed
        std::fs::write(dir.path().join(file_name(3)), "").unwrap();
        let r = recover(dir.path()).unwrap();
        assert_eq!(r.head.next_seq, 3);
        assert_eq!(r.head.prev, hash_line(l2.as_bytes()));
        assert_eq!(r.current.as_deref(), Some(first.as_path()));
        assert_eq!(r.torn_bytes, 12);
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            format!("{l1}\n{l2}\n")
        );
        assert_eq!(list_files(dir.path()).unwrap(), vec![first]);
    }

    #[test]
    fn last_line_handles_long_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let long = "x".repeat(200_000);
        std::fs::write(&path, format!("a\n{long}\n")).unwrap();
        let mut f = File::open(&path).unwrap();
        let (line, keep) = last_line(&mut f).unwrap();
        assert_eq!(line.unwrap().len(), 200_000);
        assert_eq!(keep, 200_003);
    }

    #[test]
    fn preflight_finds_what_recover_would_refuse_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let trail = dir.path().join("audit");
        // missing: its parent takes it
        preflight(&trail.join("new")).unwrap();
        assert!(!trail.exists());
        // a relative path whose first part does not exist yet: the working directory takes it
        preflight(Path::new("smsp-bridge-no-such-dir/audit")).unwrap();
        // a file where the directory should be, or above it
        std::fs::write(&trail, "x").unwrap();
        let e = preflight(&trail).unwrap_err().to_string();
        assert!(e.contains("is not a directory"), "{e}");
        assert!(preflight(&trail.join("below")).is_err());
        std::fs::remove_file(&trail).unwrap();
        // a trail ending in a torn line is fine, and is left as it is
        std::fs::create_dir(&trail).unwrap();
        let torn = format!("{{\"seq\":1,\"prev\":\"{GENESIS}\"}}\n{{\"seq\":2,");
        std::fs::write(trail.join(file_name(1)), &torn).unwrap();
        preflight(&trail).unwrap();
        assert_eq!(
            std::fs::read_to_string(trail.join(file_name(1))).unwrap(),
            torn
        );
        assert_eq!(
            std::fs::read_dir(&trail).unwrap().count(),
            1,
            "no probe left"
        );
        // a last record that is not one
        std::fs::write(trail.join(file_name(2)), "not json\n").unwrap();
        let e = format!("{:#}", preflight(&trail).unwrap_err());
        assert!(e.contains("the last record is not valid JSON"), "{e}");
        assert!(recover(&trail).is_err(), "recover refuses the same trail");
    }
}
