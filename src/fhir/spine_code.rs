//! The PDS error catalogue: every `Spine-ErrorOrWarningCode` PDS FHIR SPEC §7 lists, with the
//! HTTP status, `issue.code`, `severity` and `display` NHS's stubs, INT fixtures and proxy use.
//!
//! A few Spine codes appear with more than one status/display pair in PDS (ACCESS_DENIED 401 vs
//! 403, INVALID_VALUE 400 vs the proxy's 403 for `_max-results`, INVALID_METHOD for update vs
//! create). Each pair is its own variant; `code()` gives the shared wire code.
//!
//! Where NHS publishes no stub the values are the bridge's choice, marked **bridge** below and
//! in docs/MAPPING.md.

use super::operation_outcome::IssueSeverity;

/// The coding system every PDS OperationOutcome uses (PDS FHIR SPEC §7), version "1".
pub const SPINE_SYSTEM: &str = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode";
pub const SPINE_VERSION: &str = "1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpineCode {
    /// 400 — NHS number fails format or check digit.
    InvalidResourceId,
    /// 400 — no NHS number in the path, or a search with no parameters.
    UnsupportedService,
    /// 400 — a required header or search value is missing.
    MissingValue,
    /// 400 — a header or parameter value is invalid.
    InvalidValue,
    /// 400 — invalid search combination.
    InvalidSearchData,
    /// 400 — unknown query parameter(s).
    AdditionalProperties,
    /// 400 — unsupported path (proxy).
    UnsupportedRequest,
    /// 400 — PATCH body invalid.
    InvalidUpdate,
    /// 400 — body validation (no NHS stub: issue code and display are the bridge's choice).
    ValidationError,
    /// 400 — unsupported characters (no NHS stub: bridge's choice).
    UnsupportedCharactersInField,
    /// 400 — unsupported value (no NHS stub: bridge's choice).
    UnsupportedValue,
    /// 400 — PATCH/POST.
    TooFewValuesSubmitted,
    /// 400 — PATCH/POST.
    TooManyValuesSubmitted,
    /// 400 — POST.
    InvalidCreate,
    /// 401 — missing, empty or invalid Authorization.
    AccessDenied,
    /// 403 — ACCESS_DENIED as the patient-access mode uses it.
    AccessDeniedForbidden,
    /// 403 — INVALID_VALUE with issue code `token`: app-restricted `_max-results` ≠ 1 (proxy).
    InvalidValueMaxResults,
    /// 403 — INVALID_METHOD for PATCH in app-restricted mode.
    InvalidMethodUpdate,
    /// 403 — INVALID_METHOD for POST in app-restricted mode.
    InvalidMethodCreate,
    /// 403 — PATCH business rule (severity information).
    ForbiddenUpdate,
    /// 404 — valid NHS number, no record (severity information).
    ResourceNotFound,
    /// 404 — invalidated, not superseded.
    InvalidatedResource,
    /// 406 — **bridge**: PDS has no code for an unacceptable `Accept`/`_format` (PDS is JSON
    /// only and never mentions XML). Shaped as INVALID_VALUE so PDS clients know the code.
    NotAcceptable,
    /// 408 — downstream timeout. No NHS stub: `timeout` / "Unable to call service" are the
    /// bridge's choice.
    UnableToCallService,
    /// 409 — PATCH with a stale If-Match.
    ResourceVersionMismatch,
    /// 412 — PATCH without If-Match.
    PreconditionFailed,
    /// 429 — rate limit.
    TooManyRequests,
    /// 500.
    UnknownError,
    /// 503 — with `Retry-After: 5`.
    ServiceUnavailable,
    /// 200 — search matched more than `_max-results` (severity information).
    TooManyMatches,
    /// 200 — POST /Patient found one existing match.
    SingleMatch,
    /// 200 — POST /Patient found several existing matches.
    MultipleMatches,
}

impl SpineCode {
    pub const ALL: [SpineCode; 32] = [
        Self::InvalidResourceId,
        Self::UnsupportedService,
        Self::MissingValue,
        Self::InvalidValue,
        Self::InvalidSearchData,
        Self::AdditionalProperties,
        Self::UnsupportedRequest,
        Self::InvalidUpdate,
        Self::ValidationError,
        Self::UnsupportedCharactersInField,
        Self::UnsupportedValue,
        Self::TooFewValuesSubmitted,
        Self::TooManyValuesSubmitted,
        Self::InvalidCreate,
        Self::AccessDenied,
        Self::AccessDeniedForbidden,
        Self::InvalidValueMaxResults,
        Self::InvalidMethodUpdate,
        Self::InvalidMethodCreate,
        Self::ForbiddenUpdate,
        Self::ResourceNotFound,
        Self::InvalidatedResource,
        Self::NotAcceptable,
        Self::UnableToCallService,
        Self::ResourceVersionMismatch,
        Self::PreconditionFailed,
        Self::TooManyRequests,
        Self::UnknownError,
        Self::ServiceUnavailable,
        Self::TooManyMatches,
        Self::SingleMatch,
        Self::MultipleMatches,
    ];

    /// The code as it appears in `details.coding[0].code`.
    pub fn code(self) -> &'static str {
        use SpineCode::*;
        match self {
            InvalidResourceId => "INVALID_RESOURCE_ID",
            UnsupportedService => "UNSUPPORTED_SERVICE",
            MissingValue => "MISSING_VALUE",
            InvalidValue | InvalidValueMaxResults | NotAcceptable => "INVALID_VALUE",
            InvalidSearchData => "INVALID_SEARCH_DATA",
            AdditionalProperties => "ADDITIONAL_PROPERTIES",
            UnsupportedRequest => "UNSUPPORTED_REQUEST",
            InvalidUpdate => "INVALID_UPDATE",
            ValidationError => "VALIDATION_ERROR",
            UnsupportedCharactersInField => "UNSUPPORTED_CHARACTERS_IN_FIELD",
            UnsupportedValue => "UNSUPPORTED_VALUE",
            TooFewValuesSubmitted => "TOO_FEW_VALUES_SUBMITTED",
            TooManyValuesSubmitted => "TOO_MANY_VALUES_SUBMITTED",
            InvalidCreate => "INVALID_CREATE",
            AccessDenied | AccessDeniedForbidden => "ACCESS_DENIED",
            InvalidMethodUpdate | InvalidMethodCreate => "INVALID_METHOD",
            ForbiddenUpdate => "FORBIDDEN_UPDATE",
            ResourceNotFound => "RESOURCE_NOT_FOUND",
            InvalidatedResource => "INVALIDATED_RESOURCE",
            UnableToCallService => "UNABLE_TO_CALL_SERVICE",
            ResourceVersionMismatch => "RESOURCE_VERSION_MISMATCH",
            PreconditionFailed => "PRECONDITION_FAILED",
            TooManyRequests => "TOO_MANY_REQUESTS",
            UnknownError => "UNKNOWN_ERROR",
            ServiceUnavailable => "SERVICE_UNAVAILABLE",
            TooManyMatches => "TOO_MANY_MATCHES",
            SingleMatch => "SINGLE_MATCH",
            MultipleMatches => "MULTIPLE_MATCHES",
        }
    }

    /// A unique name per variant, used by `mappings/outcomes.toml` (`spine_code = "…"`): the
    /// wire code, with a suffix for the variants that share one.
    pub fn name(self) -> &'static str {
        use SpineCode::*;
        match self {
            AccessDeniedForbidden => "ACCESS_DENIED_403",
            InvalidValueMaxResults => "INVALID_VALUE_MAX_RESULTS",
            NotAcceptable => "INVALID_VALUE_NOT_ACCEPTABLE",
            InvalidMethodUpdate => "INVALID_METHOD_UPDATE",
            InvalidMethodCreate => "INVALID_METHOD_CREATE",
            other => other.code(),
        }
    }

    /// Looks a variant up by `name()`; a bare shared wire code gives its main variant.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .or((name == "INVALID_METHOD").then_some(Self::InvalidMethodUpdate))
    }

    pub fn http_status(self) -> u16 {
        use SpineCode::*;
        match self {
            InvalidResourceId
            | UnsupportedService
            | MissingValue
            | InvalidValue
            | InvalidSearchData
            | AdditionalProperties
            | UnsupportedRequest
            | InvalidUpdate
            | ValidationError
            | UnsupportedCharactersInField
            | UnsupportedValue
            | TooFewValuesSubmitted
            | TooManyValuesSubmitted
            | InvalidCreate => 400,
            AccessDenied => 401,
            AccessDeniedForbidden
            | InvalidValueMaxResults
            | InvalidMethodUpdate
            | InvalidMethodCreate
            | ForbiddenUpdate => 403,
            ResourceNotFound | InvalidatedResource => 404,
            NotAcceptable => 406,
            UnableToCallService => 408,
            ResourceVersionMismatch => 409,
            PreconditionFailed => 412,
            TooManyRequests => 429,
            UnknownError => 500,
            ServiceUnavailable => 503,
            TooManyMatches | SingleMatch | MultipleMatches => 200,
        }
    }

    /// FHIR `IssueType` for `issue.code` (PDS FHIR SPEC §7 table).
    pub fn issue_code(self) -> &'static str {
        use SpineCode::*;
        match self {
            InvalidResourceId
            | InvalidValue
            | InvalidSearchData
            | UnsupportedRequest
            | ValidationError
            | UnsupportedCharactersInField
            | UnsupportedValue
            | TooFewValuesSubmitted
            | TooManyValuesSubmitted
            | InvalidCreate
            | NotAcceptable
            | TooManyRequests
            | SingleMatch
            | MultipleMatches => "value",
            UnsupportedService | InvalidatedResource => "processing",
            // The stubs and INT fixtures use `required` (the OAS prose shows `structure`).
            MissingValue => "required",
            AdditionalProperties => "invariant",
            InvalidUpdate | PreconditionFailed => "structure",
            AccessDenied
            | AccessDeniedForbidden
            | InvalidMethodUpdate
            | InvalidMethodCreate
            | ForbiddenUpdate => "forbidden",
            // Sic: the PDS proxy sets `token`, which is not an R4 IssueType.
            InvalidValueMaxResults => "token",
            ResourceNotFound => "not-found",
            UnableToCallService | ServiceUnavailable => "timeout",
            ResourceVersionMismatch => "conflict",
            UnknownError => "unknown",
            TooManyMatches => "multiple-matches",
        }
    }

    pub fn severity(self) -> IssueSeverity {
        use SpineCode::*;
        match self {
            ResourceNotFound | TooManyMatches | ForbiddenUpdate => IssueSeverity::Information,
            _ => IssueSeverity::Error,
        }
    }

    /// `details.coding[0].display`, verbatim from NHS's stubs and fixtures.
    pub fn display(self) -> &'static str {
        use SpineCode::*;
        match self {
            InvalidResourceId => "Resource Id is invalid",
            UnsupportedService => "Unsupported Service",
            MissingValue => "Required value is missing",
            InvalidValue | NotAcceptable => "Provided value is invalid",
            InvalidSearchData => "Search data is invalid",
            AdditionalProperties => "Additional properties should not be included",
            UnsupportedRequest => "The request is not one that is supported.",
            InvalidUpdate => "Update is invalid",
            ValidationError => "Validation error",
            UnsupportedCharactersInField => "Unsupported characters in field",
            UnsupportedValue => "Unsupported value",
            TooFewValuesSubmitted => "Too few values submitted",
            TooManyValuesSubmitted => "Too many values submitted",
            InvalidCreate => "Patient create data is invalid",
            AccessDenied => "Access Denied - Unauthorised",
            AccessDeniedForbidden => "Patient cannot perform this action",
            InvalidValueMaxResults => {
                "Cannot retrieve more than one result with application-restricted access token"
            }
            InvalidMethodUpdate => "Cannot update resource with application-restricted access token",
            InvalidMethodCreate => "Cannot create resource with application-restricted access token",
            ForbiddenUpdate => "Update is forbidden",
            ResourceNotFound => "Resource not found",
            InvalidatedResource => {
                "Resource that has been marked as invalid was requested - invalid resources cannot be retrieved"
            }
            UnableToCallService => "Unable to call service",
            ResourceVersionMismatch => "Resource version supplied does not match actual version",
            PreconditionFailed => "Required condition was not fulfilled",
            TooManyRequests => "Too many requests",
            UnknownError => "Unknown Error",
            ServiceUnavailable => "Service unavailable",
            TooManyMatches => "Too Many Matches",
            SingleMatch => "Single match found",
            MultipleMatches => "Multiple matches found",
        }
    }

    /// Diagnostics PDS always sends with this code, when it has a fixed text (PDS FHIR SPEC §7).
    pub fn standard_diagnostics(self) -> Option<&'static str> {
        match self {
            Self::InvalidValueMaxResults => Some(
                "Your app has insufficient permissions to perform this search. Please contact support.",
            ),
            Self::InvalidMethodUpdate | Self::InvalidMethodCreate => Some(
                "Your app has insufficient permissions to use this method. Please contact support.",
            ),
            Self::ServiceUnavailable => Some(
                "The downstream domain processing has not completed within the configured timeout period. Using the same 'X-Request-ID' header, retry your request after the time specified by the 'Retry-After' response header.",
            ),
            _ => None,
        }
    }

    /// `Retry-After` seconds PDS sends with this code (503 only, PDS FHIR SPEC §3).
    pub fn retry_after(self) -> Option<u32> {
        matches!(self, Self::ServiceUnavailable).then_some(5)
    }
}

impl std::fmt::Display for SpineCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<_> = SpineCode::ALL.iter().map(|c| c.name()).collect();
        for c in SpineCode::ALL {
            assert_eq!(SpineCode::from_name(c.name()), Some(c));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SpineCode::ALL.len());
        assert_eq!(
            SpineCode::from_name("INVALID_VALUE"),
            Some(SpineCode::InvalidValue)
        );
        assert_eq!(
            SpineCode::from_name("ACCESS_DENIED"),
            Some(SpineCode::AccessDenied)
        );
        assert_eq!(SpineCode::from_name("NOPE"), None);
    }

    #[test]
    fn catalogue_matches_pds_spec_section_7() {
        use IssueSeverity::*;
        // (code, http, issue.code, severity, display) written from PDS FHIR SPEC §7.
        let expected: &[(SpineCode, &str, u16, &str, IssueSeverity, &str)] = &[
            (SpineCode::ResourceNotFound, "RESOURCE_NOT_FOUND", 404, "not-found", Information, "Resource not found"),
            (SpineCode::TooManyMatches, "TOO_MANY_MATCHES", 200, "multiple-matches", Information, "Too Many Matches"),
            (SpineCode::MissingValue, "MISSING_VALUE", 400, "required", Error, "Required value is missing"),
            (SpineCode::InvalidValue, "INVALID_VALUE", 400, "value", Error, "Provided value is invalid"),
            (SpineCode::AdditionalProperties, "ADDITIONAL_PROPERTIES", 400, "invariant", Error, "Additional properties should not be included"),
            (SpineCode::UnsupportedRequest, "UNSUPPORTED_REQUEST", 400, "value", Error, "The request is not one that is supported."),
            (SpineCode::AccessDenied, "ACCESS_DENIED", 401, "forbidden", Error, "Access Denied - Unauthorised"),
            (SpineCode::InvalidValueMaxResults, "INVALID_VALUE", 403, "token", Error, "Cannot retrieve more than one result with application-restricted access token"),
            (SpineCode::InvalidMethodUpdate, "INVALID_METHOD", 403, "forbidden", Error, "Cannot update resource with application-restricted access token"),
            (SpineCode::TooManyRequests, "TOO_MANY_REQUESTS", 429, "value", Error, "Too many requests"),
            (SpineCode::UnknownError, "UNKNOWN_ERROR", 500, "unknown", Error, "Unknown Error"),
            (SpineCode::ServiceUnavailable, "SERVICE_UNAVAILABLE", 503, "timeout", Error, "Service unavailable"),
            (SpineCode::UnableToCallService, "UNABLE_TO_CALL_SERVICE", 408, "timeout", Error, "Unable to call service"),
            (SpineCode::InvalidatedResource, "INVALIDATED_RESOURCE", 404, "processing", Error, "Resource that has been marked as invalid was requested - invalid resources cannot be retrieved"),
            (SpineCode::InvalidResourceId, "INVALID_RESOURCE_ID", 400, "value", Error, "Resource Id is invalid"),
            (SpineCode::UnsupportedService, "UNSUPPORTED_SERVICE", 400, "processing", Error, "Unsupported Service"),
            (SpineCode::InvalidSearchData, "INVALID_SEARCH_DATA", 400, "value", Error, "Search data is invalid"),
            (SpineCode::ForbiddenUpdate, "FORBIDDEN_UPDATE", 403, "forbidden", Information, "Update is forbidden"),
            (SpineCode::PreconditionFailed, "PRECONDITION_FAILED", 412, "structure", Error, "Required condition was not fulfilled"),
            (SpineCode::ResourceVersionMismatch, "RESOURCE_VERSION_MISMATCH", 409, "conflict", Error, "Resource version supplied does not match actual version"),
            (SpineCode::NotAcceptable, "INVALID_VALUE", 406, "value", Error, "Provided value is invalid"),
        ];
        for (c, code, http, issue, sev, display) in expected {
            assert_eq!(c.code(), *code, "{c:?}");
            assert_eq!(c.http_status(), *http, "{c:?}");
            assert_eq!(c.issue_code(), *issue, "{c:?}");
            assert_eq!(c.severity(), *sev, "{c:?}");
            assert_eq!(c.display(), *display, "{c:?}");
        }
        assert_eq!(SpineCode::ServiceUnavailable.retry_after(), Some(5));
        assert_eq!(SpineCode::UnknownError.retry_after(), None);
    }
}
