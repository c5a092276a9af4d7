//! What SMSP answered, parsed into domain values (SMSP SPEC §5, §2.6).

use crate::domain::{LocalIdentifier, NhsNumber, Patient, ResponseCode};

/// A business response (HTTP 200): the response code plus whatever body the interaction carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmspResponse {
    /// `wsa:MessageID` of the response, when present.
    pub message_id: Option<String>,
    pub code: ResponseCode,
    pub body: ResponseBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    /// verifyNHSNumberResponse: the VI observation. `identifier` is the raw `id/@extension`,
    /// which need not be a valid NHS number (the official "invalid" example uses `444444444444`).
    Verify {
        valid: Option<bool>,
        identifier: Option<String>,
    },
    /// getNHSNumberResponse: the traced NHS number and any echoed local identifier.
    NhsNumber {
        nhs_number: Option<NhsNumber>,
        local_identifier: Option<LocalIdentifier>,
    },
    /// getPatientDetailsResponse (all three patient-details interactions).
    PatientDetails(Option<Box<Patient>>),
}

/// An ITK SOAP fault with `itk:ToolkitErrorInfo` (SMSP SPEC §2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolkitFault {
    pub fault_code: String,
    pub fault_string: String,
    pub error_id: Option<String>,
    /// The ITK error code, e.g. `1000`, `2100`, `2200`, `3000`.
    pub error_code: String,
    pub error_text: Option<String>,
    pub diagnostic_text: Option<String>,
}

impl ToolkitFault {
    /// ITK 2100 is the only retryable processing error (SMSP SPEC §2.6).
    pub fn is_retryable(&self) -> bool {
        self.error_code == "2100"
    }
}

/// Either outcome of parsing an SMSP HTTP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmspReply {
    Response(SmspResponse),
    Fault(ToolkitFault),
}
