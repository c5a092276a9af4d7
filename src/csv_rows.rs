//! CSV reading shared by the simulator's patient loader and compare's case files.

/// RFC 4180 CSV, read by the `csv` crate: quoted fields may hold commas, doubled quotes and
/// newlines; CRLF or LF line ends. Returns each record with the line number it starts on.
pub fn csv_rows(text: &str) -> anyhow::Result<Vec<(usize, Vec<String>)>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    while reader
        .read_record(&mut record)
        .map_err(|e| anyhow::anyhow!("CSV: {e}"))?
    {
        // A record's byte position can point at the previous record's line ending; the line it
        // starts on is found past that ending.
        let mut start = record.position().map_or(0, |p| p.byte() as usize);
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        let line = 1 + bytes[..start.min(bytes.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        out.push((line, record.iter().map(str::to_string).collect()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_commas_newlines_and_crlf_with_start_lines() {
        let rows = csv_rows("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"x\ny\",z\nlast\n").unwrap();
        assert_eq!(
            rows[0],
            (1, vec!["a".into(), "b,c".into(), "say \"hi\"".into()])
        );
        assert_eq!(rows[1], (2, vec!["x\ny".to_string(), "z".to_string()]));
        assert_eq!(rows[2], (4, vec!["last".to_string()]));
    }
}
