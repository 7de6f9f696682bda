//! TK rules: the web identity token, judged offline the way STS will judge it.

mod claims;
mod header;
pub mod lookalike;
mod shape;
pub mod signature;
mod subject;
mod tags;
mod time;

use jiff::Timestamp;

use crate::finding::Finding;
use crate::model::token::ParsedToken;

/// STS's documented clock-skew allowance, applied to `exp` (and, as
/// observed, to `iat` and `nbf`).
pub const CLOCK_SKEW_SECONDS: i64 = 300;
/// The longest `WebIdentityToken` STS accepts.
pub const MAX_TOKEN_LENGTH: usize = 20_000;
/// The signing algorithms STS accepts.
pub const STS_ALGORITHMS: [&str; 6] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

/// Runs every token rule. `now` is injected: rules never read the clock.
pub fn check(token: &ParsedToken, now: Timestamp) -> Vec<Finding> {
    let mut findings = shape::check(token);
    let Some(jwt) = token.jwt() else {
        return findings;
    };
    let now = now.as_second();
    findings.extend(header::check(jwt));
    findings.extend(claims::check(jwt));
    findings.extend(time::check(jwt, now));
    findings.extend(tags::check(jwt));
    findings.extend(subject::check(jwt));
    findings.extend(lookalike::check(jwt));
    findings
}
