//! Every STS answer to `AssumeRoleWithWebIdentity` sorted into one AS code,
//! by error code and message text, with whether retrying can help.

use crate::model::aws::StsFailure;
use crate::rules::{
    AS101, AS102, AS103, AS104, AS105, AS106, AS107, AS108, AS109, AS110, AS111, AS112, AS113,
    AS114, AS199, Rule,
};

/// Whether another attempt can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A transient failure: back off and try again.
    Yes,
    /// The same request fails the same way: fix something first.
    No,
    /// Only with a different, fresh token.
    FreshToken,
}

/// The class of one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub rule: &'static Rule,
    pub retry: Retry,
}

/// The message texts that tell `InvalidIdentityToken` answers apart
/// (sts-facts 2.2), each with its class.
const INVALID_IDENTITY_TOKEN: [(&str, &Rule, Retry); 6] = [
    ("incorrect token audience", &AS102, Retry::No),
    ("no openidconnect provider found", &AS103, Retry::No),
    ("couldn't retrieve verification key", &AS104, Retry::Yes),
    ("doesn't match configured thumbprint", &AS105, Retry::No),
    ("not a valid jwt", &AS107, Retry::No),
    ("missing a required claim", &AS108, Retry::No),
];

/// Sorts one failed attempt.
pub fn classify(failure: &StsFailure) -> Class {
    let class = |rule, retry| Class { rule, retry };
    let (code, message, status) = match failure {
        StsFailure::Network(_) | StsFailure::Timeout(_) => return class(&AS114, Retry::Yes),
        StsFailure::Request(_) => return class(&AS111, Retry::No),
        StsFailure::Service {
            code,
            message,
            status,
        } => (code.as_str(), message.to_ascii_lowercase(), *status),
    };
    match code {
        "AccessDenied" | "AccessDeniedException" => class(&AS101, Retry::No),
        "InvalidIdentityToken" | "InvalidIdentityTokenException" => INVALID_IDENTITY_TOKEN
            .iter()
            .find(|(text, _, _)| message.contains(text))
            .map_or(class(&AS199, Retry::No), |(_, rule, retry)| {
                class(rule, *retry)
            }),
        "ExpiredTokenException" | "ExpiredToken" => class(&AS106, Retry::FreshToken),
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => class(&AS109, Retry::Yes),
        "IDPCommunicationError" | "IDPCommunicationErrorException" => class(&AS110, Retry::Yes),
        "IDPRejectedClaim" | "IDPRejectedClaimException" => class(&AS110, Retry::No),
        "ValidationError" | "ValidationException" => class(&AS111, Retry::No),
        "RegionDisabledException" | "RegionDisabled" => class(&AS112, Retry::No),
        "PackedPolicyTooLarge" | "PackedPolicyTooLargeException" => class(&AS113, Retry::No),
        _ if message.contains("rate exceeded") => class(&AS109, Retry::Yes),
        _ if status.is_some_and(|s| s >= 500) => class(&AS114, Retry::Yes),
        _ => class(&AS199, Retry::No),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, message: &str, status: u16) -> StsFailure {
        StsFailure::Service {
            code: code.to_owned(),
            message: message.to_owned(),
            status: Some(status),
        }
    }

    // One row per documented answer: long, but a table.
    #[allow(clippy::too_many_lines)]
    #[test]
    fn each_documented_answer_has_its_class() {
        let cases: [(StsFailure, &str, Retry); 18] = [
            (
                service(
                    "AccessDenied",
                    "Not authorized to perform sts:AssumeRoleWithWebIdentity",
                    403,
                ),
                "AS101",
                Retry::No,
            ),
            (
                service("InvalidIdentityToken", "Incorrect token audience", 400),
                "AS102",
                Retry::No,
            ),
            (
                service(
                    "InvalidIdentityToken",
                    "No OpenIDConnect provider found in your account for https://gitlab.com",
                    400,
                ),
                "AS103",
                Retry::No,
            ),
            (
                service(
                    "InvalidIdentityToken",
                    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
                    400,
                ),
                "AS104",
                Retry::Yes,
            ),
            (
                service(
                    "InvalidIdentityToken",
                    "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
                    400,
                ),
                "AS105",
                Retry::No,
            ),
            (
                service(
                    "ExpiredTokenException",
                    "Token expired: current date/time 1731098245 must be before the expiration date/time 1731095240",
                    400,
                ),
                "AS106",
                Retry::FreshToken,
            ),
            (
                service("ExpiredTokenException", "Token too old: 441398", 400),
                "AS106",
                Retry::FreshToken,
            ),
            (
                service(
                    "InvalidIdentityToken",
                    "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)",
                    400,
                ),
                "AS107",
                Retry::No,
            ),
            (
                service("InvalidIdentityToken", "Missing a required claim: aud", 400),
                "AS108",
                Retry::No,
            ),
            (
                service("Throttling", "Rate exceeded", 400),
                "AS109",
                Retry::Yes,
            ),
            (
                service("IDPCommunicationError", "", 400),
                "AS110",
                Retry::Yes,
            ),
            (
                service(
                    "IDPRejectedClaim",
                    "graph.facebook.com: graph.facebook.com responded with HTTP/1.1 400 Bad Request",
                    403,
                ),
                "AS110",
                Retry::No,
            ),
            (
                service(
                    "ValidationError",
                    "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                    400,
                ),
                "AS111",
                Retry::No,
            ),
            (
                service(
                    "RegionDisabledException",
                    "STS is not activated in this region",
                    403,
                ),
                "AS112",
                Retry::No,
            ),
            (
                service(
                    "PackedPolicyTooLarge",
                    "Session tags are 112% of the limit",
                    400,
                ),
                "AS113",
                Retry::No,
            ),
            (service("InternalFailure", "", 500), "AS114", Retry::Yes),
            (
                StsFailure::Network("connection refused".into()),
                "AS114",
                Retry::Yes,
            ),
            (
                service(
                    "InvalidIdentityToken",
                    "The web identity token provided could not be validated",
                    400,
                ),
                "AS199",
                Retry::No,
            ),
        ];
        for (failure, code, retry) in cases {
            let class = classify(&failure);
            assert_eq!((class.rule.code, class.retry), (code, retry), "{failure}");
        }
        assert_eq!(
            classify(&service("MysteryError", "?", 400)).rule.code,
            "AS199"
        );
        assert_eq!(
            classify(&StsFailure::Timeout("5 s".into())).rule.code,
            "AS114"
        );
    }
}
