//! smsp-bridge: the PDS FHIR API surface, answered from SMSP over mutual TLS.
//!
//! The pipeline, north to south: `http` (routes, extractors, headers) → `fhir` (resources,
//! request parsing into domain types, OperationOutcome) → `bridge` + `mapping` (orchestration,
//! tables in `mappings/`) → `smsp` (messages, envelope, transport). `sim` is a side room that uses
//! the core; the core never imports it.

pub mod bridge;
pub mod cache;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod csv_rows;
pub mod domain;
pub mod fhir;
pub mod http;
pub mod mapping;
pub mod pki;
pub mod resilience;
pub mod security;
pub mod sim;
pub mod smsp;
pub mod startup;
pub mod telemetry;
