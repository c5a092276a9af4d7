//! One integration-test binary (each test file is otherwise a separate binary to link on 2 cores).
//! Every test runs the real thing: the simulator is a real HTTPS server requiring client
//! certificates, the bridge a real actix server on an ephemeral port.

mod helpers;

mod cache;
mod certificates;
mod check_config;
mod compare;
mod fhir_errors;
mod fhir_read;
mod fhir_search;
mod fhir_verify;
mod ops;
mod resilience;
mod security;
mod simulator;
mod smsp_messages;
mod tls_reload;
mod transport;
