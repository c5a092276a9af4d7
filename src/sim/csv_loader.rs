//! Loads patients from a CSV in the column layout of NHS's OpenTest data
//! (`Test ref,NHS_NUMBER,DATE_OF_BIRTH,DATE_OF_DEATH,FAMILY_NAME,GIVEN_NAME,OTHER_GIVEN_NAME,
//! TITLE,GENDER,ADDRESS_LINE_1..5,PAF_KEY,SENSITIVE_FLAG,PRIMARY_CARE_CODE,REF_ID,POST_CODE,Notes`)
//! plus optional extra columns this project adds at the end (temporary and correspondence
//! addresses, telecoms, GP practice name). Columns are found by header name, so the OpenTest
//! file loads without the extras. The column list and every rule below are in docs/SIMULATOR.md.
//!
//! Rows that cannot be used (no valid NHS number, an unreadable date, an unknown gender word) are
//! skipped and reported by line number only: reasons never quote patient data.

use std::collections::{HashMap, HashSet};

use anyhow::bail;

use super::dataset::{RecordStatus, SimRecord};
use crate::domain::{
    Address, Gender, GpPractice, NhsNumber, PartialDate, Patient, PersonName, Telecom,
    TelecomSystem,
};
use crate::smsp::interaction::oid;

/// What loading found, for the start-up log line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Data rows read (header excluded).
    pub rows: usize,
    pub loaded: usize,
    /// Rows whose NHS number was already loaded; the first row wins.
    pub duplicates: usize,
    /// (line number, reason) for rows skipped as unusable.
    pub skipped: Vec<(usize, String)>,
    /// (line number, what was dropped) for rows loaded without an unreadable optional value.
    pub warnings: Vec<(usize, String)>,
}

const REQUIRED: [&str; 4] = ["NHS_NUMBER", "DATE_OF_BIRTH", "FAMILY_NAME", "GENDER"];

pub fn load(text: &str) -> anyhow::Result<(Vec<SimRecord>, LoadReport)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = crate::csv_rows::csv_rows(text)?.into_iter();
    let Some((_, header)) = rows.next() else {
        bail!("the CSV is empty");
    };
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().to_ascii_uppercase(), i))
        .collect();
    for required in REQUIRED {
        if !columns.contains_key(required) {
            bail!("the CSV has no {required} column");
        }
    }

    let mut report = LoadReport::default();
    let mut seen = HashSet::new();
    let mut records = Vec::new();
    for (line, fields) in rows {
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        report.rows += 1;
        let row = Row {
            columns: &columns,
            fields: &fields,
        };
        match record(&row, &mut |w| report.warnings.push((line, w.to_string()))) {
            Ok(rec) => {
                if seen.insert(rec.patient.nhs_number) {
                    records.push(rec);
                    report.loaded += 1;
                } else {
                    report.duplicates += 1;
                }
            }
            Err(reason) => report.skipped.push((line, reason)),
        }
    }
    Ok((records, report))
}

struct Row<'a> {
    columns: &'a HashMap<String, usize>,
    fields: &'a [String],
}

impl Row<'_> {
    /// The trimmed value of a column, or `""` when the column or the cell is missing.
    fn get(&self, name: &str) -> &str {
        self.columns
            .get(name)
            .and_then(|&i| self.fields.get(i))
            .map_or("", |s| s.trim())
    }

    fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// Five positional lines `<prefix>1..5` plus a postcode; `None` when all are blank.
    fn address(&self, line_prefix: &str, postcode: &str, use_code: &str) -> Option<Address> {
        let lines: Vec<String> = (1..=5)
            .map(|i| self.get(&format!("{line_prefix}{i}")).to_string())
            .collect();
        let postal_code = self.opt(postcode);
        if postal_code.is_none() && lines.iter().all(String::is_empty) {
            return None;
        }
        Some(Address {
            use_code: Some(use_code.into()),
            postal_code,
            lines,
        })
    }
}

fn record(row: &Row<'_>, warn: &mut dyn FnMut(&str)) -> Result<SimRecord, String> {
    let nhs_number = NhsNumber::parse(row.get("NHS_NUMBER"))
        .map_err(|_| "NHS_NUMBER is not a valid 10-digit NHS number".to_string())?;
    let mut patient = Patient::new(nhs_number);

    // `2014051200` (with an hour) loads as 2014-05-12 and `201405` as a partial date; a request
    // carrying either form is answered SMSP-0001 by the responder, as OpenTest labels them.
    let dob = row.get("DATE_OF_BIRTH");
    patient.birth_date = if dob.is_empty() {
        None
    } else {
        Some(PartialDate::parse_hl7(dob).map_err(|_| "DATE_OF_BIRTH is not an HL7 date")?)
    };
    // OpenTest has a date of death mangled by a spreadsheet (`2.01206E+11`): the patient still
    // loads, without a date of death, and the loader reports it.
    let dod = row.get("DATE_OF_DEATH");
    if !dod.is_empty() {
        match PartialDate::parse_hl7_with_time(dod) {
            Ok(d) => patient.deceased = Some(d),
            Err(_) => warn("DATE_OF_DEATH is not an HL7 date; loaded without it"),
        }
    }

    let given: Vec<String> = [row.opt("GIVEN_NAME"), row.opt("OTHER_GIVEN_NAME")]
        .into_iter()
        .flatten()
        .collect();
    patient.name = Some(PersonName {
        use_code: Some("L".into()),
        prefix: row.opt("TITLE"),
        given,
        family: row.opt("FAMILY_NAME"),
    });
    patient.gender = gender(row.get("GENDER"))?;

    patient.addresses = [
        row.address("ADDRESS_LINE_", "POST_CODE", "H"),
        row.address("TEMP_ADDRESS_LINE_", "TEMP_POST_CODE", "TMP"),
        row.address(
            "CORRESPONDENCE_ADDRESS_LINE_",
            "CORRESPONDENCE_POST_CODE",
            "PST",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    patient.telecoms = [
        telecom(row.get("TELEPHONE_HOME"), TelecomSystem::Phone, "H"),
        telecom(row.get("TELEPHONE_MOBILE"), TelecomSystem::Phone, "MC"),
        telecom(row.get("EMAIL"), TelecomSystem::Email, "H"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let ods = row.opt("PRIMARY_CARE_CODE");
    let gp_name = row.opt("GP_PRACTICE_NAME");
    if ods.is_some() || gp_name.is_some() {
        patient.gp = Some(GpPractice {
            ods_root: ods.as_ref().map(|_| oid::ODS_SITE.to_string()),
            ods_code: ods,
            name: gp_name,
            address: None,
            telecom: None,
        });
    }

    let status = match row.get("SENSITIVE_FLAG").to_ascii_uppercase().as_str() {
        "I" => RecordStatus::Invalidated,
        _ => match superseded_by(row.get("NOTES")) {
            Some(Ok(n)) => RecordStatus::SupersededBy(n),
            Some(Err(())) => return Err("Notes says SUPERSEDED BY without a valid number".into()),
            None => RecordStatus::Active,
        },
    };
    let sensitive = row.get("SENSITIVE_FLAG").eq_ignore_ascii_case("S");
    Ok(SimRecord {
        patient,
        status,
        sensitive,
    })
}

/// OpenTest spells genders as words (`Male`, `Female`, `Not known`, `Indeterminate`); the Sex
/// vocabulary codes (SPEC §0.3) and M/F/U/I letters are accepted too. Indeterminate is code 9
/// "Not specified". An empty cell means no gender on the record.
fn gender(word: &str) -> Result<Option<Gender>, String> {
    let g = match word.to_ascii_lowercase().as_str() {
        "" => return Ok(None),
        "male" | "m" | "1" => Gender::Male,
        "female" | "f" | "2" => Gender::Female,
        "not known" | "unknown" | "u" | "0" => Gender::NotKnown,
        "indeterminate" | "not specified" | "i" | "9" => Gender::NotSpecified,
        _ => return Err("GENDER is not a known gender word or code".into()),
    };
    Ok(Some(g))
}

/// A telecom cell holds either a bare value (the scheme is added) or a full URL such as `tel:`
/// with no number, which OpenTest has and clients must tolerate (SPEC §5.3).
fn telecom(cell: &str, default: TelecomSystem, use_code: &str) -> Option<Telecom> {
    if cell.is_empty() {
        return None;
    }
    let (scheme, value) = match cell.split_once(':') {
        Some((s, v)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic()) => (s, v),
        _ => (default.scheme(), cell),
    };
    Some(Telecom {
        scheme: scheme.to_ascii_lowercase(),
        value: value.trim().to_string(),
        use_codes: vec![use_code.into()],
        periods: Vec::new(),
    })
}

/// `SUPERSEDED BY 9990001234` anywhere in Notes (case-insensitive). OpenTest's bare
/// `Superseded` note names no replacement and is treated as an ordinary record.
fn superseded_by(notes: &str) -> Option<Result<NhsNumber, ()>> {
    const MARK: &str = "SUPERSEDED BY";
    let upper = notes.to_ascii_uppercase();
    let at = upper.find(MARK)?;
    let digits: String = upper[at + MARK.len()..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ' ')
        .filter(char::is_ascii_digit)
        .collect();
    Some(NhsNumber::parse(&digits).map_err(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Test ref,NHS_NUMBER,DATE_OF_BIRTH,DATE_OF_DEATH,FAMILY_NAME,GIVEN_NAME,OTHER_GIVEN_NAME,TITLE,GENDER,ADDRESS_LINE_1,ADDRESS_LINE_2,ADDRESS_LINE_3,ADDRESS_LINE_4,ADDRESS_LINE_5,PAF_KEY,SENSITIVE_FLAG,PRIMARY_CARE_CODE,REF_ID,POST_CODE,Notes";

    #[test]
    fn opentest_layout_loads_with_words_flags_bad_dobs_and_duplicates() {
        let csv = format!(
            "{HEADER}\n\
             ,9449310378,19820525,,GEELAN,MALEAH,,MS,Not known,CUILLINS,DORKING ROAD,,TADWORTH,,1,I,H81109,,KT20 7RH,\n\
             ,9449310610,20010310,,KHAMTORN,EMMET,,MR,Male,,100 ARDROSSAN GARDENS,,WORCESTER PARK,SURREY,2,S,H81109,,KT4 7AY,\n\
             SMSP-0001,9462658145,2014051200,,SIMON,Virgil,Miles,MR,Male,,42 SWAIN,,BRADFORD,,3,,,,BD2 1HS,DoB - with hhmm\n\
             SMSP-0001,9462658110,201405,,LESLIE,Derek,,MR,Indeterminate,,GARSDALE AVENUE,,BRADFORD,,4,,,,BD10 9DB,DoB - Too small\n\
             ,9462658110,201405,,LESLIE,Derek,,MR,Male,,,,,,,,,,,\n\
             ,1234567890,20000101,,BAD,NUMBER,,,Female,,,,,,,,,,,\n\
             ,9449303371,20110721,2.01206E+11,QUICK,LEON,,MR,Not known,,,,,,,,,,,\n"
        );
        let (records, report) = load(&csv).unwrap();
        assert_eq!((report.rows, report.loaded, report.duplicates), (7, 5, 1));
        assert_eq!(report.skipped.len(), 1);
        assert_eq!(report.warnings.len(), 1);
        assert!(records[4].patient.deceased.is_none());
        assert_eq!(report.skipped[0].0, 7);
        assert_eq!(records[0].status, RecordStatus::Invalidated);
        assert!(records[1].sensitive);
        assert_eq!(records[2].patient.birth_date.unwrap().to_hl7(), "20140512");
        assert_eq!(records[3].patient.birth_date.unwrap().to_hl7(), "201405");
        assert_eq!(records[3].patient.gender, Some(Gender::NotSpecified));
        let addr = &records[1].patient.addresses[0];
        assert_eq!(addr.lines.len(), 5);
        assert_eq!(addr.lines[0], "");
        assert_eq!(addr.postal_code.as_deref(), Some("KT4 7AY"));
        assert_eq!(
            records[1].patient.gp.as_ref().unwrap().ods_code.as_deref(),
            Some("H81109")
        );
    }

    #[test]
    fn extra_columns_add_addresses_telecoms_gp_name_and_supersession() {
        let csv = "NHS_NUMBER,DATE_OF_BIRTH,FAMILY_NAME,GENDER,Notes,TEMP_ADDRESS_LINE_2,TEMP_POST_CODE,TELEPHONE_HOME,TELEPHONE_MOBILE,EMAIL,GP_PRACTICE_NAME\n\
                   9990001006,1980,SMITH,F,superseded by 999 000 1014,1 HIGH ST,AB1 2CD,tel:,07700900001,a@example.org,Riverside\n";
        let (records, report) = load(csv).unwrap();
        assert_eq!(report.loaded, 1, "{report:?}");
        let r = &records[0];
        assert_eq!(
            r.status,
            RecordStatus::SupersededBy(NhsNumber::parse("9990001014").unwrap())
        );
        assert_eq!(r.patient.addresses[0].use_code.as_deref(), Some("TMP"));
        assert_eq!(r.patient.telecoms.len(), 3);
        assert_eq!(r.patient.telecoms[0].value, "");
        assert_eq!(r.patient.telecoms[1].use_codes, vec!["MC"]);
        assert_eq!(r.patient.telecoms[2].system(), TelecomSystem::Email);
        assert_eq!(
            r.patient.gp.as_ref().unwrap().name.as_deref(),
            Some("Riverside")
        );
        assert!(r.patient.gp.as_ref().unwrap().ods_code.is_none());
    }

    #[test]
    fn missing_required_column_is_an_error() {
        assert!(load("NHS_NUMBER,DATE_OF_BIRTH\n").is_err());
        assert!(load("").is_err());
    }
}
