//! The parameters of an SMSP request, independent of XML (SMSP SPEC §4).
//! One struct serves all five interactions; `Query::check` enforces which parameters each
//! interaction requires and allows, so a builder can never emit a schema-invalid request.

use super::Interaction;
use crate::domain::{Gender, LocalIdentifier, NhsNumber, PartialDate};

/// A request name: one given and one family name only (SMSP SPEC §0.4).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct QueryName {
    pub given: Option<String>,
    pub family: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Query {
    pub birth_date: PartialDate,
    pub gender: Option<Gender>,
    pub local_identifier: Option<LocalIdentifier>,
    pub nhs_number: Option<NhsNumber>,
    pub name: Option<QueryName>,
    pub postcode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("{interaction} requires {parameter}")]
    Missing {
        interaction: &'static str,
        parameter: &'static str,
    },
    #[error("{interaction} does not take {parameter}")]
    NotAllowed {
        interaction: &'static str,
        parameter: &'static str,
    },
}

impl Query {
    pub fn new(birth_date: PartialDate) -> Self {
        Self {
            birth_date,
            gender: None,
            local_identifier: None,
            nhs_number: None,
            name: None,
            postcode: None,
        }
    }

    /// Checks the parameter set against the interaction's content model (SMSP SPEC §4.1–4.5).
    pub fn check(&self, interaction: Interaction) -> Result<(), QueryError> {
        use Interaction::*;
        let i = interaction.name();
        let missing = |p| {
            Err(QueryError::Missing {
                interaction: i,
                parameter: p,
            })
        };
        let not_allowed = |p| {
            Err(QueryError::NotAllowed {
                interaction: i,
                parameter: p,
            })
        };
        let (needs_nhs, allows_nhs) = match interaction {
            VerifyNhsNumber | GetPatientDetailsByNhsNumber => (true, true),
            GetNhsNumber | GetPatientDetailsBySearch => (false, false),
            GetPatientDetails => (false, true),
        };
        let (needs_gender, allows_gender) = match interaction {
            GetNhsNumber | GetPatientDetailsBySearch => (true, true),
            GetPatientDetails => (false, true),
            _ => (false, false),
        };
        let needs_name = matches!(interaction, GetNhsNumber | GetPatientDetailsBySearch);
        let allows_postcode = matches!(
            interaction,
            GetNhsNumber | GetPatientDetailsBySearch | GetPatientDetails
        );
        let allows_local_id = !matches!(interaction, VerifyNhsNumber);
        if needs_nhs && self.nhs_number.is_none() {
            return missing("Person.NHSNumber");
        }
        if !allows_nhs && self.nhs_number.is_some() {
            return not_allowed("Person.NHSNumber");
        }
        if needs_gender && self.gender.is_none() {
            return missing("Person.Gender");
        }
        if !allows_gender && self.gender.is_some() {
            return not_allowed("Person.Gender");
        }
        if needs_name && self.name.is_none() {
            return missing("Person.Name");
        }
        if !allows_postcode && self.postcode.is_some() {
            return not_allowed("Person.Postcode");
        }
        if !allows_local_id && self.local_identifier.is_some() {
            return not_allowed("Person.LocalIdentifier");
        }
        Ok(())
    }
}

impl std::fmt::Debug for QueryName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueryName(***)")
    }
}

impl std::fmt::Debug for Query {
    /// Only the shape of the query is printable: which parameters are present, never values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("gender", &self.gender.is_some())
            .field("local_identifier", &self.local_identifier.is_some())
            .field("nhs_number", &self.nhs_number.is_some())
            .field("name", &self.name.is_some())
            .field("postcode", &self.postcode.is_some())
            .finish()
    }
}
