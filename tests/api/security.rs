//! Issue 5: local authentication (Basic, Bearer JWT, client certificates), RBAC, the audit
//! trail (hash chain, durability, `audit verify` and `audit search`, kill -9), rate limiting, and logs free of
//! patient data.

mod audit_search;
mod audit_trail;
mod basic;
pub(crate) mod bearer;
mod client_cert;
pub(crate) mod kill9;
mod log_scan;
mod rate_limit;
mod rbac;
pub(crate) mod support;
mod users_cli;
