//! FHIR R4 model subset and request parsing. OWNED BY THE FHIR HELPER.
