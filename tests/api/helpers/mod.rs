//! Test helpers: spawn the simulator and the bridge.
pub mod app;
pub mod config_file;
pub mod sim;

#[allow(unused_imports)]
pub use app::{metric_sample, request_id, spawn_app, spawn_app_with, Reply, TestApp};
