//! Mapping tables and SMSP → FHIR mapping. OWNED BY THE FHIR HELPER.
