//! SMSP message layer: the project's own fixtures parsed field by field (expectations from SMSP
//! SPEC §2–§5, not from the code's output), request checks for the simulator, build → parse
//! round trips for every interaction, escaping, robustness, and — when the reference folder is
//! present next to the repository — every official example.

mod build;
mod reference;
mod reply;
mod request;
mod robustness;
mod support;
