//! Validation of a loaded configuration: every problem is reported at once, with its key.

use super::Settings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: &'static str,
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

pub fn check(s: &Settings) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    let mut bad = |key, message: String| problems.push(ConfigProblem { key, message });
    if s.listen.parse::<std::net::SocketAddr>().is_err() {
        bad(
            "listen",
            format!("'{}' is not a socket address (host:port)", s.listen),
        );
    }
    match url::Url::parse(&s.public_base_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => bad("public_base_url", "must be an absolute http(s) URL".into()),
    }
    if !s.base_path.starts_with('/') || s.base_path.ends_with('/') {
        bad(
            "base_path",
            "must start with '/' and not end with '/'".into(),
        );
    }
    match url::Url::parse(&s.smsp.url) {
        Ok(u) if u.scheme() == "https" => {}
        Ok(_) => bad(
            "smsp.url",
            "must be https: TLS mutual authentication is mandatory".into(),
        ),
        Err(e) => bad("smsp.url", format!("not a URL: {e}")),
    }
    for (key, path) in [
        ("smsp.client_cert", &s.smsp.client_cert),
        ("smsp.client_key", &s.smsp.client_key),
        ("smsp.ca_cert", &s.smsp.ca_cert),
    ] {
        match path {
            None => bad(key, "is required".into()),
            Some(p) if !p.is_file() => bad(key, format!("file {} not found", p.display())),
            Some(_) => {}
        }
    }
    // Certificates that do not parse, and chains the bridge would present with another
    // certificate's key, expired or not yet valid.
    for (key, message) in super::certificates::problems(s, chrono::Utc::now().timestamp()) {
        bad(key, message);
    }
    if s.smsp.timeout_ms == 0 {
        bad("smsp.timeout_ms", "must be greater than 0".into());
    }
    if s.smsp.connect_timeout_ms == 0 {
        bad("smsp.connect_timeout_ms", "must be greater than 0".into());
    }
    if s.smsp.max_body_bytes < 4096 {
        bad("smsp.max_body_bytes", "must be at least 4096".into());
    }
    if s.smsp.default_ods_code.is_empty()
        || !s
            .smsp
            .default_ods_code
            .chars()
            .all(|c| c.is_ascii_alphanumeric())
    {
        bad(
            "smsp.default_ods_code",
            "must be an alphanumeric ODS code".into(),
        );
    }
    if let Some(dir) = &s.mappings_dir {
        if !dir.is_dir() {
            bad(
                "mappings_dir",
                format!("directory {} not found", dir.display()),
            );
        }
    }
    // The cache's own limits (issue 4: cache.ttl_seconds above 900 is refused at start-up).
    for (key, message) in s.cache.problems() {
        bad(key, message);
    }
    // Authentication, roles, audit (issue 5), keyed `security.…`.
    for (key, message) in s.security.problems() {
        bad(key, message);
    }
    // Timeouts, retries, breaker, bulkhead, limits (issue 8), keyed `resilience.…`.
    for (key, message) in s.resilience.problems() {
        bad(key, message);
    }
    // Compare and shadow mode (issue 6), keyed `compare.…`.
    for (key, message) in s.compare.problems() {
        bad(key, message);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_problem_with_its_key() {
        let mut s = Settings {
            listen: "nope".into(),
            ..Settings::default()
        };
        s.smsp.url = "http://insecure".into();
        s.smsp.timeout_ms = 0;
        let keys: Vec<_> = check(&s).into_iter().map(|p| p.key).collect();
        for k in [
            "listen",
            "smsp.url",
            "smsp.client_cert",
            "smsp.client_key",
            "smsp.ca_cert",
            "smsp.timeout_ms",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
    }

    #[test]
    fn shadow_mode_without_a_pds_url_is_reported() {
        let mut s = Settings::default();
        s.compare.shadow.sample_rate = 0.5;
        let keys: Vec<_> = check(&s).into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"compare.pds.base_url"), "{keys:?}");
        s.compare.shadow.sample_rate = 1.5;
        let keys: Vec<_> = check(&s).into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"compare.shadow.sample_rate"), "{keys:?}");
    }

    #[test]
    fn cache_ttl_above_900_is_reported() {
        let mut s = Settings::default();
        s.cache.ttl_seconds = 901;
        let keys: Vec<_> = check(&s).into_iter().map(|p| p.key).collect();
        assert!(keys.contains(&"cache.ttl_seconds"), "{keys:?}");
    }
}
