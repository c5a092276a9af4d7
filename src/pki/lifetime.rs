//! When the certificates of a PEM file are valid (X.509 `notBefore`/`notAfter`, RFC 5280
//! §4.1.2.5). The bridge's endpoint certificate for SMSP is issued for a fixed term, and SMSP
//! refuses the TLS-MA handshake once it has expired (SMSP SPEC §2.2): operators need to see the
//! date coming, and a bridge started with an expired one should say so instead of failing
//! every call with a TLS error.

use anyhow::{anyhow, Context};

/// The window in which a certificate, or every certificate of a file, is valid: Unix seconds,
/// both ends included (RFC 5280 §4.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    pub not_before: i64,
    pub not_after: i64,
}

/// Where `now` stands against a [`Lifetime`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    NotYetValid,
    Valid,
    Expired,
}

impl Lifetime {
    pub fn standing(&self, now: i64) -> Standing {
        if now < self.not_before {
            Standing::NotYetValid
        } else if now > self.not_after {
            Standing::Expired
        } else {
            Standing::Valid
        }
    }

    /// Why a chain with this lifetime cannot be presented at `now`, if it cannot: a TLS peer
    /// refuses a certificate outside its validity (RFC 5280 §4.1.2.5).
    pub fn refusal(&self, now: i64) -> Option<String> {
        match self.standing(now) {
            Standing::Valid => None,
            Standing::Expired => Some(format!(
                "expired at {} (the earliest notAfter in the chain); the TLS peer refuses an \
                 expired certificate: renew it",
                rfc3339(self.not_after)
            )),
            Standing::NotYetValid => Some(format!(
                "not valid until {} (the latest notBefore in the chain)",
                rfc3339(self.not_before)
            )),
        }
    }

    /// Whole days from `now` to `notAfter`, rounded down (negative once expired).
    pub fn days_left(&self, now: i64) -> i64 {
        (self.not_after - now).div_euclid(86_400)
    }
}

/// The window in which **every** certificate in `pem` is valid: the latest `notBefore` and the
/// earliest `notAfter`. For a chain, that is when it can be presented as a whole; for a CA
/// bundle, it is the first date on which one of its CAs stops working. Fails when the PEM
/// holds no certificate or one that does not parse.
pub fn common_lifetime(pem: &str) -> anyhow::Result<Lifetime> {
    let mut window: Option<Lifetime> = None;
    for (n, der) in super::load_certs(pem)?.iter().enumerate() {
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref())
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("certificate {} of the file is not X.509", n + 1))?;
        let v = cert.validity();
        let one = Lifetime {
            not_before: v.not_before.timestamp(),
            not_after: v.not_after.timestamp(),
        };
        window = Some(match window {
            None => one,
            Some(w) => Lifetime {
                not_before: w.not_before.max(one.not_before),
                not_after: w.not_after.min(one.not_after),
            },
        });
    }
    window.ok_or_else(|| anyhow!("no certificate found in PEM"))
}

/// A Unix time as RFC 3339 UTC (`2027-01-01T00:00:00Z`), for messages and logs.
pub fn rfc3339(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| unix_seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{PkiSet, Validity};
    use chrono::NaiveDate;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn midnight(d: NaiveDate) -> i64 {
        d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
    }

    /// A generated set whose leaves are valid from `from` to `to`.
    fn leaves_valid(from: NaiveDate, to: NaiveDate) -> (Validity, PkiSet) {
        let leaves = Validity {
            not_before: from,
            not_after: to,
        };
        (
            leaves,
            PkiSet::generate_with("Lifetime Test CA", leaves).unwrap(),
        )
    }

    #[test]
    fn reads_the_dates_a_certificate_was_issued_with() {
        let (_, set) = leaves_valid(date(2026, 3, 1), date(2027, 2, 28));
        assert_eq!(
            common_lifetime(&set.client_cert_pem).unwrap(),
            Lifetime {
                not_before: midnight(date(2026, 3, 1)),
                not_after: midnight(date(2027, 2, 28)),
            }
        );
        assert_eq!(rfc3339(midnight(date(2027, 2, 28))), "2027-02-28T00:00:00Z");
    }

    #[test]
    fn a_chain_is_valid_only_while_all_of_it_is() {
        let (leaves, set) = leaves_valid(date(2020, 6, 1), date(2040, 6, 1));
        let ca = common_lifetime(&set.ca_pem).unwrap();
        // The CA keeps the default term, inside the leaf's: the chain's window is the CA's.
        assert!(
            ca.not_before > midnight(leaves.not_before)
                && ca.not_after < midnight(leaves.not_after)
        );
        let chain = format!("{}{}", set.client_cert_pem, set.ca_pem);
        assert_eq!(common_lifetime(&chain).unwrap(), ca);
    }

    #[test]
    fn standing_and_days_left_count_both_ends_as_valid() {
        let l = Lifetime {
            not_before: 1_000,
            not_after: 1_000 + 10 * 86_400,
        };
        assert_eq!(l.standing(999), Standing::NotYetValid);
        assert_eq!(l.standing(1_000), Standing::Valid);
        assert_eq!(l.standing(l.not_after), Standing::Valid);
        assert_eq!(l.standing(l.not_after + 1), Standing::Expired);
        assert_eq!(l.days_left(1_000), 10);
        assert_eq!(l.days_left(1_001), 9);
        assert_eq!(l.days_left(l.not_after + 1), -1);
    }

    #[test]
    fn refuses_files_without_a_readable_certificate() {
        assert!(common_lifetime("").is_err());
        let set = PkiSet::generate().unwrap();
        assert!(common_lifetime(&set.client_key_pem).is_err());
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(common_lifetime(broken).is_err());
    }
}
