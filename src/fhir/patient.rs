//! The PDS Patient resource (PDS FHIR SPEC §6, `schemas/Patient.yaml`), fields in the order of
//! NHS's `examples/Patient.json`. The bridge fills the subset SMSP can supply
//! (`mapping::patient`); the rest is modelled so PDS bodies parse losslessly enough to compare.

use serde::{Deserialize, Serialize};

use super::datatypes::{
    Address, Contact, ContactPoint, Extension, HumanName, Identifier, Meta, Reference,
};

#[derive(Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    #[serde(rename = "resourceType")]
    pub resource_type: super::datatypes::PatientType,
    /// Always the NHS number (SPEC §2).
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// `male | female | other | unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// R4 `date`, possibly partial (`YYYY`, `YYYY-MM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_birth_integer: Option<u8>,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS+00:00` (SPEC §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deceased_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub general_practitioner: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<Contact>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
}

impl Patient {
    /// The NHS number in `identifier[system = nhs-number]`, if any.
    pub fn nhs_number(&self) -> Option<&str> {
        self.identifier
            .iter()
            .find(|i| i.system.as_deref() == Some(super::datatypes::system::NHS_NUMBER))
            .and_then(|i| i.value.as_deref())
    }

    /// The first `meta.security` code (`U`, `R`, …).
    pub fn security_code(&self) -> Option<&str> {
        self.meta.as_ref()?.security.first()?.code.as_deref()
    }
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Patient(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn minimal_patient_has_resource_type_first_and_no_empty_fields() {
        let p = Patient {
            id: "9000000033".into(),
            ..Patient::default()
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"resourceType":"Patient","id":"9000000033"}"#
        );
    }

    #[test]
    fn reads_a_pds_shaped_patient_and_writes_it_back_unchanged() {
        // Written by hand in the shape of PDS's INT record (PDS FHIR SPEC §6, "typical INT-shaped").
        let body = json!({
            "resourceType": "Patient",
            "id": "9693632109",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9693632109",
                "extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus",
                    "valueCodeableConcept": {"coding": [{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus",
                        "version": "1.0.0", "code": "01", "display": "Number present and verified"}]}}]}],
            "meta": {"versionId": "58", "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "U", "display": "unrestricted"}]},
            "name": [{"id": "oHCsm", "use": "usual", "period": {"start": "1977-06-26"}, "given": ["Bill"], "family": "GARTON", "prefix": ["MR"]}],
            "gender": "female",
            "birthDate": "1946-06-23",
            "multipleBirthInteger": 1,
            "generalPractitioner": [{"id": "uMbZF", "type": "Organization",
                "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A20047", "period": {"start": "2005-03-05"}}}],
            "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"city": "Manchester", "district": "Greater Manchester", "country": "GBR"}}],
            "address": [{"id": "drSwB", "period": {"start": "2001-04-25"}, "use": "home",
                "line": ["1 MOUNT AVENUE", "BARTON-UPON-HUMBER", "S HUMBERSIDE"], "postalCode": "DN18 5DW"}]
        });
        let p: Patient = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(p.nhs_number(), Some("9693632109"));
        assert_eq!(p.security_code(), Some("U"));
        assert_eq!(serde_json::to_value(&p).unwrap(), body);
        // key order follows PDS: resourceType, id, identifier, meta, name, …
        let text = serde_json::to_string(&p).unwrap();
        let pos = |k: &str| text.find(&format!("\"{k}\"")).unwrap();
        assert!(pos("resourceType") < pos("id"));
        assert!(pos("identifier") < pos("meta"));
        assert!(pos("meta") < pos("name"));
        assert!(pos("birthDate") < pos("generalPractitioner"));
    }

    #[test]
    fn rejects_another_resource_type() {
        let r: Result<Patient, _> =
            serde_json::from_value(json!({"resourceType": "Bundle", "id": "x"}));
        assert!(r.is_err());
    }

    #[test]
    fn debug_hides_patient_data() {
        let p = Patient {
            id: "9000000009".into(),
            ..Patient::default()
        };
        assert!(!format!("{p:?}").contains("9000000009"));
    }
}
