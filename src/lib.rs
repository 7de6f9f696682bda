//! oidc-doctor: explains why AWS STS refuses an OIDC web-identity login and
//! lints IAM role trust policies.
//!
//! Data flows one way: gather (`commands`, `net`) → model → rules → findings
//! (`report`) → output. Only `output` prints.

pub mod cli;
pub mod commands;
pub mod error;
pub mod model;
pub mod output;
pub mod report;
pub mod rules;
