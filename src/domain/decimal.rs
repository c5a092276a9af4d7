//! Zero-padded decimals for the fixed-width dates and times both specs use (HL7 TS `YYYYMMDD`,
//! FHIR `YYYY-MM-DD`), written straight into the output: `format!` was 3% of a mapping's
//! instructions (issue 9, docs/PERFORMANCE-LOG.md "Session 9").

/// `n` in decimal with at least `width` digits, zero-padded on the left (`{:0width$}`). A
/// fixed-length digit loop over a stack buffer: these numbers have 2 or 4 digits, where that
/// costs fewer instructions than itoa or a loop that tests for the last digit (measured with
/// `hot_paths build`, docs/PERFORMANCE-LOG.md "Session 9").
#[inline]
pub(crate) fn push_zero_padded(out: &mut String, mut n: u32, width: usize) {
    let mut buf = [b'0'; 10]; // u32::MAX has 10 digits
    let len = (n.checked_ilog10().unwrap_or(0) as usize + 1)
        .max(width)
        .min(buf.len());
    for slot in buf[..len].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    for &b in &buf[..len] {
        out.push(char::from(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_like_format_and_never_cuts() {
        for (n, width) in [
            (0, 0),
            (0, 2),
            (7, 2),
            (42, 2),
            (5, 4),
            (999, 4),
            (2024, 4),
            (12345, 4),
            (u32::MAX, 2),
        ] {
            let mut out = String::new();
            push_zero_padded(&mut out, n, width);
            assert_eq!(out, format!("{n:0width$}"));
        }
    }
}
