//! Plain data types with no I/O: what the commands gather and the rules judge.

pub mod aws;
pub mod chain;
pub mod discovery;
pub mod documents;
pub mod issuer;
pub mod issuers;
pub mod policy;
pub mod provider;
pub mod signature;
pub mod source;
pub mod subject;
pub mod time;
pub mod token;
pub mod wildcard;
pub mod yaml;
