//! The integration test binary: the real `oidc-doctor` binary and the
//! library, run on the fixtures.

// A failing test is a panic with a message: unwrap and expect are how tests say so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod action_script;
mod actions_cli;
mod actions_runtime;
mod assume_cli;
mod assume_parallel;
mod aws_caps;
mod aws_cli;
mod aws_emulator;
mod aws_robustness;
mod catalogue;
mod check_cli;
mod check_robustness;
mod cli_contract;
mod completion_shells;
mod decode_cli;
mod docs_pages;
mod fixture_harness;
mod flood;
mod formats;
mod gitlab_component;
mod gitlab_format;
mod injection;
mod issuer_cli;
mod issuer_robustness;
mod job_summary;
mod json_schema;
mod jwks_rules;
mod lint_cli;
mod local_http;
mod policy_cli;
mod policy_remedy;
mod readme_examples;
mod robustness;
mod sts_standin;
mod support;
mod terraform_source;
mod test_issuer;
mod test_issuer_self;
mod token_leaks;
mod token_rules;
mod verify_cli;
