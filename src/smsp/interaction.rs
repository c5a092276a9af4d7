//! The five PDS Mini Services interactions and their fixed identifiers (SMSP SPEC §1, §0.9).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Interaction {
    VerifyNhsNumber,
    GetNhsNumber,
    GetPatientDetailsByNhsNumber,
    GetPatientDetailsBySearch,
    GetPatientDetails,
}

impl Interaction {
    pub const ALL: [Interaction; 5] = [
        Interaction::VerifyNhsNumber,
        Interaction::GetNhsNumber,
        Interaction::GetPatientDetailsByNhsNumber,
        Interaction::GetPatientDetailsBySearch,
        Interaction::GetPatientDetails,
    ];

    /// Short name used in logs, metrics labels and the audit trail.
    pub fn name(self) -> &'static str {
        match self {
            Self::VerifyNhsNumber => "verifyNHSNumber",
            Self::GetNhsNumber => "getNHSNumber",
            Self::GetPatientDetailsByNhsNumber => "getPatientDetailsByNHSNumber",
            Self::GetPatientDetailsBySearch => "getPatientDetailsBySearch",
            Self::GetPatientDetails => "getPatientDetails",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.name() == name)
    }

    /// Service URN = SOAPAction = request `wsa:Action` = `itk:header/@service`.
    pub fn service(self) -> &'static str {
        match self {
            Self::VerifyNhsNumber => "urn:nhs-itk:services:201005:verifyNHSNumber-v1-0",
            Self::GetNhsNumber => "urn:nhs-itk:services:201005:getNHSNumber-v1-0",
            Self::GetPatientDetailsByNhsNumber => {
                "urn:nhs-itk:services:201005:getPatientDetailsByNHSNumber-v1-0"
            }
            Self::GetPatientDetailsBySearch => {
                "urn:nhs-itk:services:201005:getPatientDetailsBySearch-v1-0"
            }
            Self::GetPatientDetails => "urn:nhs-itk:services:201005:getPatientDetails-v1-0",
        }
    }

    pub fn from_service(urn: &str) -> Option<Self> {
        let urn = urn.trim().trim_matches('"');
        Self::ALL.into_iter().find(|i| i.service() == urn)
    }

    /// Response `wsa:Action` / `itk:header/@service`: the service URN + `Response` (SMSP SPEC §1).
    pub fn response_service(self) -> String {
        format!("{}Response", self.service())
    }

    /// Root element of the HL7 request payload; getPatientDetails is the odd one out (§0.9).
    pub fn request_root(self) -> &'static str {
        match self {
            Self::VerifyNhsNumber => "verifyNHSNumberRequest-v1-0",
            Self::GetNhsNumber => "getNHSNumberRequest-v1-0",
            Self::GetPatientDetailsByNhsNumber => "getPatientDetailsByNHSNumberRequest-v1-0",
            Self::GetPatientDetailsBySearch => "getPatientDetailsBySearchRequest-v1-0",
            Self::GetPatientDetails => "getPatientDetails-v1-0",
        }
    }

    /// The fixed `code/@code` of the request payload (MiniServiceMessageType).
    pub fn request_code(self) -> &'static str {
        match self {
            Self::GetPatientDetails => "getPatientDetailsRequest-v1-0",
            other => other.request_root(),
        }
    }

    pub fn request_profile(self) -> String {
        format!("urn:nhs-en:profile:{}", self.request_code())
    }

    /// Root element (and `code/@code`) of the HL7 response payload.
    pub fn response_root(self) -> &'static str {
        match self {
            Self::VerifyNhsNumber => "verifyNHSNumberResponse-v1-0",
            Self::GetNhsNumber => "getNHSNumberResponse-v1-0",
            _ => "getPatientDetailsResponse-v1-0",
        }
    }

    pub fn response_profile(self) -> String {
        format!("urn:nhs-en:profile:{}", self.response_root())
    }

    /// Schema (message type) each request payload is defined by, for XSD checks.
    pub fn request_schema(self) -> &'static str {
        match self {
            Self::VerifyNhsNumber => "QUPA_MT000001GB01.xsd",
            Self::GetNhsNumber => "QUPA_MT000002GB01.xsd",
            Self::GetPatientDetailsByNhsNumber => "QUPA_MT000003GB01.xsd",
            Self::GetPatientDetailsBySearch => "QUPA_MT000004GB01.xsd",
            Self::GetPatientDetails => "QUPA_MT000005GB01.xsd",
        }
    }

    pub fn response_schema(self) -> &'static str {
        match self {
            Self::VerifyNhsNumber => "COMT_MT000013GB01.xsd",
            Self::GetNhsNumber => "COMT_MT000014GB01.xsd",
            _ => "COMT_MT000016GB01.xsd",
        }
    }
}

/// Fixed OIDs used in the messages (SMSP SPEC §6).
pub mod oid {
    pub const NHS_NUMBER: &str = "2.16.840.1.113883.2.1.4.1";
    pub const LOCAL_IDENTIFIER: &str = "2.16.840.1.113883.2.1.3.2.4.18.24";
    pub const MESSAGE_TYPE: &str = "2.16.840.1.113883.2.1.3.2.4.17.284";
    pub const RESPONSE_CODE: &str = "2.16.840.1.113883.2.1.3.2.4.17.285";
    pub const OBSERVATION_TYPE: &str = "2.16.840.1.113883.2.1.3.2.4.17.287";
    pub const SEX: &str = "2.16.840.1.113883.2.1.3.2.4.16.25";
    pub const ODS_SITE: &str = "2.16.840.1.113883.2.1.3.2.4.19.2";
    pub const ITK_ERROR: &str = "2.16.840.1.113883.2.1.3.2.4.17.268";
    pub const AUDIT_IDENTITY_DEFAULT: &str = "2.16.840.1.113883.2.1.3.2.4.18.27";
    pub const SDS_ASID: &str = "1.2.826.0.1285.0.2.0.107";
}

/// XML namespaces (SMSP SPEC §2.3).
pub mod ns {
    pub const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
    pub const WSSE: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    pub const WSU: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    pub const ITK: &str = "urn:nhs-itk:ns:201005";
    pub const HL7: &str = "urn:hl7-org:v3";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    pub const FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_services_round_trip() {
        for i in Interaction::ALL {
            assert_eq!(Interaction::from_name(i.name()), Some(i));
            assert_eq!(Interaction::from_service(i.service()), Some(i));
            assert_eq!(
                Interaction::from_service(&format!("\"{}\"", i.service())),
                Some(i)
            );
        }
        assert_eq!(
            Interaction::GetPatientDetails.request_root(),
            "getPatientDetails-v1-0"
        );
        assert_eq!(
            Interaction::GetPatientDetails.request_code(),
            "getPatientDetailsRequest-v1-0"
        );
    }
}
