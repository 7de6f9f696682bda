//! Plain data types with no I/O: what the commands gather and the rules judge.

pub mod arn;
pub mod aws;
pub mod chain;
pub mod discovery;
pub mod documents;
pub mod host;
pub mod issuer;
pub mod issuers;
pub mod lookalike;
pub mod policy;
pub mod provider;
pub mod signature;
pub mod source;
pub mod subject;
pub mod suggest;
pub mod terraform;
pub mod time;
pub mod token;
pub mod wildcard;
pub mod writer;
pub mod yaml;

/// Bytes in lower-case hex, the form digests are shown and stored in
/// (IAM's thumbprints, the credential cache's file names).
pub fn lower_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}
