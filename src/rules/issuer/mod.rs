//! IS rules: the issuer as STS sees it.

pub mod jwks;
