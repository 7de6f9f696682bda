//! oidc-doctor: explains why AWS STS refuses an OIDC web-identity login and
//! lints IAM role trust policies.
//!
//! Data flows one way: gather (`net`) → model → rules → findings → stages →
//! report → output. Commands compose stages; only `output` prints.
//!
//! The library judges a token the way the `decode` command does:
//!
//! ```
//! use oidc_doctor::{model::token, rules};
//!
//! let token = std::fs::read("fixtures/examples/expired-gitlab.jwt").unwrap();
//! let now: jiff::Timestamp = "2026-06-01T12:00:00Z".parse().unwrap();
//! let findings = rules::token::check(&token::parse(&token), now);
//! let codes: Vec<&str> = findings.iter().map(|f| f.code()).collect();
//! assert_eq!(codes, ["TK005", "TK014"]);
//! assert!(findings[0].message.contains("beyond STS's 5-minute clock-skew allowance"));
//! ```

pub mod cli;
pub mod commands;
pub mod error;
pub mod eval;
pub mod finding;
pub mod model;
pub mod net;
pub mod output;
pub mod report;
pub mod rules;
pub mod stages;
