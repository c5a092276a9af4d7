//! Resilience and hardening (issue 8), end to end: the fault matrix (every fault the simulator's
//! knobs, its magic numbers or a stand-in server can produce, each with the caller's exact
//! status, Spine code, origin code, attempts and time, then recovery once it clears), the
//! policies (retries, retry budget, overall budget, breaker, bulkhead), the HTTP edge limits,
//! and property tests that FHIR-accepted values reach the simulator unchanged.
//!
//! Budgets here are small (docs/RELIABILITY.md "Fault matrix") so the suite stays fast.

mod limits;
mod matrix;
mod policies;
mod roundtrip;
mod support;
