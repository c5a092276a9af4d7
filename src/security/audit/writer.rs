//! The audit writer (issue 5 "Durable before the answer"): one thread owns the files. Requests
//! queue their entries and wait; the thread takes everything queued (up to `max_batch`),
//! chains and writes it with one `write_all` and one `sync_data` — a group commit — then
//! acknowledges each record. Throughput therefore holds under load: many requests share one
//! sync. A failed write acknowledges nothing (the guard answers 503) and is rolled back so the
//! chain on disk stays whole. Each record arrives already serialised by its request's worker,
//! and acknowledgements go through each worker's mailbox (`ack`), so the one writer thread does
//! no more per record than it must (issue 9: the audited hit).

use anyhow::Context;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::sync::{mpsc, oneshot};

use super::ack::{Ack, Wakes};
use super::chain::{self, Head};
use super::record::{self, AuditEntry};
use crate::security::settings::AuditSettings;

/// The audit trail could not be written: the request must not be answered with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditUnavailable;

enum Job {
    /// An entry's JSON (`AuditEntry::to_json`) and who waits for it.
    Record(Vec<u8>, Ack),
    Flush(oneshot::Sender<()>),
}

/// Handle to the writer thread. Dropping the last handle lets the thread finish and exit.
pub struct AuditLog {
    tx: mpsc::Sender<Job>,
    dir: PathBuf,
}

impl AuditLog {
    /// Recovers the chain in `settings.dir` and starts the writer thread.
    pub fn open(settings: &AuditSettings) -> anyhow::Result<Self> {
        let dir = settings
            .dir
            .clone()
            .context("security.audit.dir is not set")?;
        let recovered = chain::recover(&dir)?;
        if recovered.torn_bytes > 0 {
            tracing::warn!(
                bytes = recovered.torn_bytes,
                "audit: a torn, never-acknowledged record was cut from the end of the trail"
            );
        }
        let current = match recovered.current {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                let len = file.metadata()?.len();
                Some((file, len))
            }
            None => None,
        };
        tracing::info!(
            dir = %dir.display(),
            next_seq = recovered.head.next_seq,
            head = %recovered.head.prev,
            "audit trail open"
        );
        let mut writer = Writer {
            dir: dir.clone(),
            max_file_bytes: settings.max_file_bytes.max(1),
            head: recovered.head,
            current,
            poisoned: false,
            metrics: CommitMetrics::register(),
        };
        let (tx, mut rx) = mpsc::channel::<Job>(settings.queue.max(1));
        let max_batch = settings.max_batch.max(1);
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                while let Some(first) = rx.blocking_recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < max_batch {
                        match rx.try_recv() {
                            Ok(j) => jobs.push(j),
                            Err(_) => break,
                        }
                    }
                    writer.commit(jobs);
                }
                tracing::info!(
                    next_seq = writer.head.next_seq,
                    head = %writer.head.prev,
                    "audit trail closed"
                );
            })
            .context("cannot start the audit writer thread")?;
        Ok(Self { tx, dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues `entry` and waits until it is on disk (synced). Returns its seq.
    pub async fn append(&self, entry: AuditEntry) -> Result<u64, AuditUnavailable> {
        let json = entry.to_json().map_err(|_| AuditUnavailable)?;
        let (ack, done) = Ack::new();
        self.tx
            .send(Job::Record(json, ack))
            .await
            .map_err(|_| AuditUnavailable)?;
        done.await.map_err(|_| AuditUnavailable)?
    }

    /// Waits until everything queued before this call has been written.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Job::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

struct Writer {
    dir: PathBuf,
    max_file_bytes: u64,
    /// The chain head as far as it is durably on disk.
    head: Head,
    /// The file being appended to and its length.
    current: Option<(File, u64)>,
    /// A failed write could not be rolled back: refuse everything until restart rather than
    /// append after a torn record.
    poisoned: bool,
    metrics: CommitMetrics,
}

/// The group commits' metrics (README, audit trail), registered once when the writer starts
/// rather than looked up by name on every commit.
struct CommitMetrics {
    written: metrics::Counter,
    refused: metrics::Counter,
    /// Every audited answer waits for one of these, so their time and size show what the
    /// audit volume costs the answers.
    seconds: metrics::Histogram,
    records: metrics::Histogram,
}

impl CommitMetrics {
    fn register() -> Self {
        Self {
            written: metrics::counter!("smsp_bridge_audit_records_total", "result" => "written"),
            refused: metrics::counter!("smsp_bridge_audit_records_total", "result" => "refused"),
            seconds: metrics::histogram!("smsp_bridge_audit_commit_seconds"),
            records: metrics::histogram!("smsp_bridge_audit_commit_records"),
        }
    }
}

impl Writer {
    fn commit(&mut self, jobs: Vec<Job>) {
        // Wakes the mailboxes the batch wrote to when it goes out of scope, after the writes.
        let mut wakes = Wakes::default();
        let mut flushes = Vec::new();
        let mut records = Vec::new();
        for job in jobs {
            match job {
                Job::Record(entry, ack) => records.push((entry, ack)),
                Job::Flush(ack) => flushes.push(ack),
            }
        }
        if let Err(e) = self.write_all(records, &mut wakes) {
            tracing::error!(error = %format!("{e:#}"), "audit trail write failed; patient data is refused (503) until it succeeds");
        }
        if !flushes.is_empty() {
            // An anchor outside the trail: a later truncation of the tail shows against it.
            tracing::info!(
                next_seq = self.head.next_seq,
                head = %self.head.prev,
                "audit trail flushed"
            );
        }
        for f in flushes {
            let _ = f.send(());
        }
    }

    /// Writes the records as one or more segments (more than one when a rotation falls inside
    /// the batch). On error, every record not yet acknowledged is failed.
    fn write_all(&mut self, records: Vec<(Vec<u8>, Ack)>, wakes: &mut Wakes) -> anyhow::Result<()> {
        let total = records.len() as u64;
        let first_seq = self.head.next_seq;
        let mut pending: Vec<u8> = Vec::new();
        let mut acks: Vec<(Ack, u64)> = Vec::new();
        let mut records = records.into_iter();
        let result = self.write_records(&mut records, &mut pending, &mut acks, wakes);
        // The head moves only past synced records; the others were refused (503 to the caller).
        let written = self.head.next_seq - first_seq;
        self.metrics.written.increment(written);
        if total > written {
            self.metrics.refused.increment(total - written);
        }
        if result.is_err() {
            for (ack, _) in acks {
                ack.deliver(Err(AuditUnavailable), wakes);
            }
            for (_, ack) in records {
                ack.deliver(Err(AuditUnavailable), wakes);
            }
        }
        result
    }

    fn write_records(
        &mut self,
        records: &mut impl Iterator<Item = (Vec<u8>, Ack)>,
        pending: &mut Vec<u8>,
        acks: &mut Vec<(Ack, u64)>,
        wakes: &mut Wakes,
    ) -> anyhow::Result<()> {
        if self.poisoned {
            anyhow::bail!("an earlier failed write could not be rolled back");
        }
        let mut tentative = self.head.clone();
        for (entry, ack) in records {
            let line = match record::line(tentative.next_seq, &tentative.prev, &entry) {
                Ok(line) => line,
                Err(e) => {
                    ack.deliver(Err(AuditUnavailable), wakes);
                    return Err(e).context("serialising a record");
                }
            };
            let used = self.current.as_ref().map_or(0, |(_, len)| *len) + pending.len() as u64;
            let rotate = self.current.is_none()
                || (used > 0 && used + line.len() as u64 + 1 > self.max_file_bytes);
            if rotate {
                // What precedes the rotation goes into the old file, then the next file starts.
                let rotated = self
                    .write_segment(pending, acks, &tentative, wakes)
                    .and_then(|()| self.rotate(tentative.next_seq));
                if let Err(e) = rotated {
                    ack.deliver(Err(AuditUnavailable), wakes);
                    return Err(e);
                }
            }
            acks.push((ack, tentative.next_seq));
            tentative.prev = chain::hash_line(&line);
            tentative.next_seq += 1;
            pending.extend_from_slice(&line);
            pending.push(b'\n');
        }
        self.write_segment(pending, acks, &tentative, wakes)
    }

    /// Appends `pending`, syncs, and acknowledges `acks`; `head_after` is the chain head once
    /// they are on disk. On failure the file is cut back to its previous length.
    fn write_segment(
        &mut self,
        pending: &mut Vec<u8>,
        acks: &mut Vec<(Ack, u64)>,
        head_after: &Head,
        wakes: &mut Wakes,
    ) -> anyhow::Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let (file, len) = self.current.as_mut().context("no audit file open")?;
        let started = std::time::Instant::now();
        let outcome = file.write_all(pending).and_then(|()| file.sync_data());
        if let Err(e) = outcome {
            match file.set_len(*len).and_then(|()| file.sync_data()) {
                Ok(()) => {}
                Err(_) => self.poisoned = true,
            }
            return Err(e).context("writing the audit file");
        }
        *len += pending.len() as u64;
        pending.clear();
        self.metrics.seconds.record(started.elapsed());
        self.metrics.records.record(acks.len() as f64);
        self.head = head_after.clone();
        for (ack, seq) in acks.drain(..) {
            ack.deliver(Ok(seq), wakes);
        }
        Ok(())
    }

    /// Starts `audit-<first_seq>.jsonl`. The old file stays open until the new one exists, so
    /// a failed rotation leaves the writer where it was.
    fn rotate(&mut self, first_seq: u64) -> anyhow::Result<()> {
        let path = self.dir.join(chain::file_name(first_seq));
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        // The new name must survive a crash too.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("cannot sync {}", self.dir.display()))?;
        if self.current.is_some() {
            tracing::info!(
                first_seq,
                head = %self.head.prev,
                "audit file rotated"
            );
        }
        self.current = Some((file, 0));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path, max: u64) -> AuditSettings {
        AuditSettings {
            dir: Some(dir.to_path_buf()),
            max_file_bytes: max,
            ..Default::default()
        }
    }

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            method: "GET".into(),
            interaction: "read".into(),
            request_id: Some(format!("req-{i}")),
            status: 200,
            ..Default::default()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_form_one_chain_across_rotations() {
        let dir = tempfile::tempdir().unwrap();
        let log = std::sync::Arc::new(AuditLog::open(&settings(dir.path(), 2_000)).unwrap());
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move { log.append(entry(i)).await.unwrap() })
            })
            .collect();
        let mut seqs = Vec::new();
        for t in tasks {
            seqs.push(t.await.unwrap());
        }
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=200).collect::<Vec<u64>>());
        log.flush().await;
        let files = chain::list_files(dir.path()).unwrap();
        assert!(files.len() > 5, "rotated into {} files", files.len());
        let report = super::super::verify::verify(&[dir.path().to_path_buf()], false).unwrap();
        assert!(report.problem.is_none(), "{report:?}");
        assert_eq!(report.records, 200);
        for f in &files {
            assert!(std::fs::metadata(f).unwrap().len() <= 2_000 + 400);
        }
        drop(log);

        // Re-opened, the chain continues where it stopped.
        let log = AuditLog::open(&settings(dir.path(), 2_000)).unwrap();
        assert_eq!(log.append(entry(999)).await.unwrap(), 201);
        let report = super::super::verify::verify(&[dir.path().to_path_buf()], false).unwrap();
        assert!(report.problem.is_none(), "{report:?}");
        assert_eq!(report.records, 201);
    }

    #[tokio::test]
    async fn a_failed_rotation_fails_closed_and_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let audit_dir = dir.path().join("audit");
        let log = AuditLog::open(&settings(&audit_dir, 10)).unwrap();
        assert_eq!(log.append(entry(1)).await, Ok(1));
        let moved = dir.path().join("moved");
        std::fs::rename(&audit_dir, &moved).unwrap();
        assert_eq!(log.append(entry(2)).await, Err(AuditUnavailable));
        std::fs::rename(&moved, &audit_dir).unwrap();
        assert_eq!(
            log.append(entry(3)).await,
            Ok(2),
            "the chain resumes without a gap"
        );
        let report = super::super::verify::verify(&[audit_dir], false).unwrap();
        assert!(report.problem.is_none(), "{report:?}");
    }
}
