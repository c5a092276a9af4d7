//! Domain values shared by both faces of the bridge. Nothing here knows about XML or JSON:
//! the SMSP layer parses into these types and the FHIR layer renders from them.

mod birth_date;
mod decimal;
mod gender;
mod nhs_number;
mod patient;
mod response_code;

pub use birth_date::{BirthDate, DateError, PartialDate};
pub(crate) use decimal::push_zero_padded;
pub use gender::Gender;
pub use nhs_number::{NhsNumber, NhsNumberError};
pub use patient::{
    Address, AddressUse, GpPractice, LocalIdentifier, Patient, PersonName, Telecom, TelecomSystem,
    UseablePeriod,
};
pub use response_code::ResponseCode;
