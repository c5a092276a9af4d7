//! Mapping between the two faces: the tables (`mappings/*.toml`, embedded and overridable),
//! the FHIR request → SMSP interaction plan, and SMSP patient → FHIR Patient.
//! docs/MAPPING.md records every decision made here.

pub mod outcomes;
pub mod patient;
pub mod plan;
pub mod tables;
pub mod vocabulary;

pub use outcomes::{CallContext, OutcomeResult, OutcomeRow};
pub use patient::View;
pub use plan::{read_plan, search_plan, verify_plan};
pub use tables::{TableError, Tables};
pub use vocabulary::Vocabulary;
