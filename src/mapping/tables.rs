//! The mapping tables as data: `mappings/vocabulary.toml` and `mappings/outcomes.toml`, embedded
//! as defaults and overridable file by file from a directory. Everything is checked at load, so
//! a bad table stops start-up with every problem listed, never a wrong answer at run time.

use std::path::Path;

use super::outcomes::{CallContext, OutcomeRow, Outcomes, EMBEDDED_OUTCOMES};
use super::vocabulary::{Vocabulary, EMBEDDED_VOCABULARY};

pub const VOCABULARY_FILE: &str = "vocabulary.toml";
pub const OUTCOMES_FILE: &str = "outcomes.toml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub vocabulary: Vocabulary,
    pub outcomes: Outcomes,
}

/// Every problem found in the tables, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mapping tables are invalid:\n  {}", .problems.join("\n  "))]
pub struct TableError {
    pub problems: Vec<String>,
}

impl Tables {
    /// The tables built into the binary.
    pub fn embedded() -> Result<Tables, TableError> {
        Self::load(None)
    }

    /// The embedded tables, with `dir/vocabulary.toml` and `dir/outcomes.toml` each replacing
    /// its embedded counterpart when present. A missing `dir` is an error (a typo in the
    /// configuration must not silently fall back to the defaults).
    pub fn load(dir: Option<&Path>) -> Result<Tables, TableError> {
        let mut problems = Vec::new();
        if let Some(d) = dir {
            if !d.is_dir() {
                return Err(TableError {
                    problems: vec![format!("{}: not a directory", d.display())],
                });
            }
        }
        let read = |file: &str, embedded: &'static str, problems: &mut Vec<String>| {
            let Some(path) = dir.map(|d| d.join(file)).filter(|p| p.exists()) else {
                return (embedded.to_string(), format!("embedded {file}"));
            };
            match std::fs::read_to_string(&path) {
                Ok(text) => (text, path.display().to_string()),
                Err(e) => {
                    problems.push(format!("{}: {e}", path.display()));
                    (embedded.to_string(), format!("embedded {file}"))
                }
            }
        };
        let (vocab_text, vocab_src) = read(VOCABULARY_FILE, EMBEDDED_VOCABULARY, &mut problems);
        let (out_text, out_src) = read(OUTCOMES_FILE, EMBEDDED_OUTCOMES, &mut problems);
        let vocabulary = Vocabulary::parse(&vocab_text, &vocab_src)
            .map_err(|p| problems.extend(p))
            .ok();
        let outcomes = Outcomes::parse(&out_text, &out_src)
            .map_err(|p| problems.extend(p))
            .ok();
        match (vocabulary, outcomes) {
            (Some(vocabulary), Some(outcomes)) if problems.is_empty() => Ok(Tables {
                vocabulary,
                outcomes,
            }),
            _ => Err(TableError { problems }),
        }
    }

    /// The row for an SMSP response code or `SmspError::outcome_key()` in a call context.
    pub fn outcome(&self, context: CallContext, key: &str) -> &OutcomeRow {
        self.outcomes.get(context, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Gender, ResponseCode};
    use crate::mapping::outcomes::{OutcomeResult, ITK_KEYS, TRANSPORT_KEYS};

    #[test]
    fn embedded_tables_load_and_cover_every_key_in_every_context() {
        let t = Tables::embedded().unwrap();
        for ctx in CallContext::ALL {
            for key in ResponseCode::KNOWN
                .iter()
                .chain(&ITK_KEYS)
                .chain(&TRANSPORT_KEYS)
            {
                assert_eq!(t.outcome(ctx, key).key, *key, "{ctx:?} {key}");
            }
        }
        assert_eq!(t.vocabulary.gender_from_fhir("male"), Some(Gender::Male));
        assert_eq!(Tables::load(None).unwrap(), t);
    }

    #[test]
    fn a_directory_overrides_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        // only outcomes overridden: vocabulary stays embedded
        let changed = EMBEDDED_OUTCOMES.replace(
            "[outcome.\"DEMOG-0001\"]\nspine_code = \"RESOURCE_NOT_FOUND\"",
            "[outcome.\"DEMOG-0001\"]\nspine_code = \"RESOURCE_NOT_FOUND\"\nhttp_status = 410",
        );
        std::fs::write(dir.path().join(OUTCOMES_FILE), changed).unwrap();
        let t = Tables::load(Some(dir.path())).unwrap();
        assert_eq!(t.outcome(CallContext::Read, "DEMOG-0001").http_status, 410);
        assert_eq!(
            t.outcome(CallContext::Search, "DEMOG-0001").result,
            OutcomeResult::EmptyBundle
        );
        assert_eq!(t.vocabulary, Tables::embedded().unwrap().vocabulary);
        // an empty directory changes nothing
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            Tables::load(Some(empty.path())).unwrap(),
            Tables::embedded().unwrap()
        );
    }

    #[test]
    fn a_broken_override_directory_lists_every_problem_of_both_files() {
        let dir = tempfile::tempdir().unwrap();
        let vocab = EMBEDDED_VOCABULARY
            .replace("PST = \"billing\"", "PST = \"correspondence\"")
            .replace("MC = \"mobile\"\n", "");
        let outcomes = EMBEDDED_OUTCOMES
            .replace("[outcome.\"itk-3000\"]", "[outcome.\"itk-3001\"]")
            .replace(
                "spine_code = \"INVALIDATED_RESOURCE\"",
                "spine_code = \"GONE\"",
            )
            .replace(
                "[outcome.\"transport-tls\"]",
                "[outcome.\"transport-tlss\"]",
            );
        std::fs::write(dir.path().join(VOCABULARY_FILE), vocab).unwrap();
        std::fs::write(dir.path().join(OUTCOMES_FILE), outcomes).unwrap();
        let err = Tables::load(Some(dir.path())).unwrap_err();
        let all = err.to_string();
        for needle in [
            "'PST' = 'correspondence'",
            "[telecom_use] has no row for SMSP code 'MC'",
            "no outcome row for 'itk-3000'",
            "no outcome row for 'transport-tls'",
            "spine_code 'GONE' is not a Spine code",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        // each problem names the file it is in
        assert!(err
            .problems
            .iter()
            .all(|p| p.starts_with(&dir.path().display().to_string())));
        assert!(err.problems.len() >= 5);
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let err = Tables::load(Some(Path::new("/nonexistent/smsp-bridge-tables"))).unwrap_err();
        assert!(err.problems[0].contains("not a directory"));
    }
}
