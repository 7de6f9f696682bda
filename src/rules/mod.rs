//! Rules: pure functions over already-gathered model values. A rule never
//! does I/O and never prints; it returns findings.
//!
//! The catalogue below is the one place that declares every implemented
//! rule: code, slug, default severity, category and its documentation page
//! (compiled in from `docs/rules/CODE.md`, the same text `explain` prints).

pub mod assume;
pub mod evaluation;
pub mod issuer;
pub mod provider;
pub mod token;
pub mod trust_policy;
pub mod verdict;

pub use crate::finding::Rule;
use crate::finding::{Category, Severity};

macro_rules! catalogue {
    ($($ident:ident = $code:literal, $slug:literal, $severity:ident, $category:ident;)*) => {
        $(
            pub static $ident: Rule = Rule {
                code: $code,
                slug: $slug,
                severity: Severity::$severity,
                category: Category::$category,
                doc: include_str!(concat!("../../docs/rules/", $code, ".md")),
            };
        )*
        /// Every implemented rule, in code order.
        pub static CATALOGUE: &[&Rule] = &[$(&$ident),*];
    };
}

catalogue! {
    AS001 = "AS001", "assumed", Info, Hygiene;
    AS002 = "AS002", "assumed-after-retries", Medium, Breakage;
    AS101 = "AS101", "access-denied", High, Breakage;
    AS102 = "AS102", "incorrect-audience", High, Breakage;
    AS103 = "AS103", "no-provider-for-issuer", High, Breakage;
    AS104 = "AS104", "verification-key-unavailable", High, Breakage;
    AS105 = "AS105", "thumbprint-mismatch", High, Breakage;
    AS106 = "AS106", "token-expired", High, Breakage;
    AS107 = "AS107", "invalid-jwt", High, Breakage;
    AS108 = "AS108", "missing-claim", High, Breakage;
    AS109 = "AS109", "throttled", Medium, Breakage;
    AS110 = "AS110", "idp-communication-error", High, Breakage;
    AS111 = "AS111", "request-invalid", High, Breakage;
    AS112 = "AS112", "region-disabled", High, Breakage;
    AS113 = "AS113", "packed-policy-too-large", High, Breakage;
    AS114 = "AS114", "sts-unreachable", High, Breakage;
    AS199 = "AS199", "unrecognised-error", High, Breakage;
    EV001 = "EV001", "policy-refuses-token", High, Breakage;
    EV002 = "EV002", "prediction-disagrees", Medium, Breakage;
    IS001 = "IS001", "issuer-url-form", High, Breakage;
    IS002 = "IS002", "discovery-unreachable", High, Breakage;
    IS003 = "IS003", "discovery-invalid", High, Breakage;
    IS004 = "IS004", "discovery-issuer-mismatch", High, Breakage;
    IS005 = "IS005", "jwks-uri-invalid", High, Breakage;
    IS006 = "IS006", "jwks-unreachable", High, Breakage;
    IS007 = "IS007", "jwks-invalid", High, Breakage;
    IS008 = "IS008", "issuer-slow", High, Breakage;
    IS009 = "IS009", "jwks-not-cacheable", Medium, Breakage;
    IS010 = "IS010", "jwks-too-many-keys", High, Breakage;
    IS011 = "IS011", "jwk-kid-problem", Medium, Breakage;
    IS012 = "IS012", "jwk-unusable", High, Breakage;
    IS013 = "IS013", "jwk-private-material", Critical, Security;
    IS014 = "IS014", "signing-alg-unsupported", High, Breakage;
    IS015 = "IS015", "tls-chain-order", High, Breakage;
    IS016 = "IS016", "tls-not-publicly-trusted", Medium, Breakage;
    IS017 = "IS017", "issuer-redirect", Medium, Breakage;
    IS018 = "IS018", "issuer-intermittent", High, Breakage;
    IS019 = "IS019", "issuer-rate-limited", High, Breakage;
    IS020 = "IS020", "response-too-large", Medium, Breakage;
    IS021 = "IS021", "tls-certificate-expiring", Medium, Hygiene;
    IS022 = "IS022", "issuer-not-public", High, Breakage;
    PV001 = "PV001", "provider-not-found", High, Breakage;
    PV002 = "PV002", "audience-not-registered", High, Breakage;
    PV003 = "PV003", "policy-audience-not-registered", High, Breakage;
    PV004 = "PV004", "thumbprint-mismatch", High, Breakage;
    PV005 = "PV005", "principal-provider-mismatch", High, Breakage;
    PV006 = "PV006", "role-arn-mismatch", High, Breakage;
    PV007 = "PV007", "duration-exceeds-max", High, Breakage;
    PV008 = "PV008", "unused-thumbprints", Info, Hygiene;
    TK001 = "TK001", "token-not-jwt", High, Breakage;
    TK002 = "TK002", "token-alg-unsupported", High, Breakage;
    TK003 = "TK003", "token-kid-missing", Medium, Breakage;
    TK004 = "TK004", "token-claim-missing", High, Breakage;
    TK005 = "TK005", "token-expired", High, Breakage;
    TK006 = "TK006", "token-not-yet-valid", High, Breakage;
    TK007 = "TK007", "token-timestamp-not-integer", High, Breakage;
    TK008 = "TK008", "token-multi-audience", High, Breakage;
    TK009 = "TK009", "token-too-long", High, Breakage;
    TK010 = "TK010", "token-issuer-form", High, Breakage;
    TK011 = "TK011", "token-session-tags", Medium, Breakage;
    TK012 = "TK012", "token-short-lifetime", Low, Hygiene;
    TK013 = "TK013", "token-signature-invalid", High, Breakage;
    TK014 = "TK014", "token-subject-form", Info, Hygiene;
    TK015 = "TK015", "issuer-lookalike", High, Security;
    TK016 = "TK016", "token-audience-default", Info, Breakage;
    TP001 = "TP001", "policy-unparseable", High, Breakage;
    TP002 = "TP002", "policy-shape", High, Breakage;
    TP003 = "TP003", "duplicate-json-key", High, Security;
    TP004 = "TP004", "version-legacy", Medium, Breakage;
    TP005 = "TP005", "prohibited-element", High, Breakage;
    TP006 = "TP006", "empty-element", Low, Hygiene;
    TP007 = "TP007", "invalid-condition-operator", High, Breakage;
    TP008 = "TP008", "policy-over-quota", Medium, Breakage;
    TP009 = "TP009", "policy-unresolved", Low, Hygiene;
    TP101 = "TP101", "federated-principal-malformed", High, Breakage;
    TP102 = "TP102", "wildcard-principal", Critical, Security;
    TP103 = "TP103", "providers-share-statement", Medium, Breakage;
    TP104 = "TP104", "builtin-principal-unpinned", Critical, Security;
    TP105 = "TP105", "provider-name-suspect", High, Breakage;
    TP106 = "TP106", "partition-mismatch", High, Breakage;
    TP107 = "TP107", "account-mismatch", High, Breakage;
    TP201 = "TP201", "action-mismatch", High, Breakage;
    TP202 = "TP202", "action-too-broad", Medium, Security;
    TP203 = "TP203", "tag-session-missing", High, Breakage;
    TP204 = "TP204", "source-identity-missing", High, Breakage;
    TP301 = "TP301", "condition-key-prefix-mismatch", High, Breakage;
    TP302 = "TP302", "condition-key-unsupported", High, Breakage;
    TP303 = "TP303", "condition-key-case-duplicate", High, Breakage;
    TP304 = "TP304", "condition-key-noncanonical-case", Low, Hygiene;
    TP401 = "TP401", "wildcard-in-equals", High, Breakage;
    TP402 = "TP402", "for-all-values-single-valued", Critical, Security;
    TP403 = "TP403", "for-any-value-single-valued", Low, Hygiene;
    TP404 = "TP404", "if-exists-on-identity-claim", High, Security;
    TP405 = "TP405", "negated-tenancy-pin", Critical, Security;
    TP406 = "TP406", "null-only-pin", Critical, Security;
    TP407 = "TP407", "operator-type-mismatch", High, Breakage;
    TP408 = "TP408", "multivalued-claim-unqualified", High, Breakage;
    TP409 = "TP409", "global-key-unavailable", High, Breakage;
    TP410 = "TP410", "vpc-key-in-web-identity", Medium, Breakage;
    TP501 = "TP501", "no-condition", Critical, Security;
    TP502 = "TP502", "tenancy-claim-unpinned", Critical, Security;
    TP503 = "TP503", "workflow-ref-only-pin", High, Security;
    TP504 = "TP504", "subject-unpinned-single-tenant", Medium, Security;
    TP505 = "TP505", "audience-unpinned", Low, Hygiene;
    TP506 = "TP506", "non-identifying-pins-only", Critical, Security;
    TP601 = "TP601", "subject-matches-any-tenant", Critical, Security;
    TP602 = "TP602", "owner-prefix-wildcard", Critical, Security;
    TP603 = "TP603", "catch-all-in-value-list", Critical, Security;
    TP604 = "TP604", "org-wide-trust", Medium, Security;
    TP605 = "TP605", "repo-any-context", Low, Security;
    TP606 = "TP606", "pull-request-trusted", Medium, Security;
    TP607 = "TP607", "wildcard-ref-or-environment", Low, Security;
    TP608 = "TP608", "subject-missing-context", High, Breakage;
    TP609 = "TP609", "subject-grammar", High, Breakage;
    TP610 = "TP610", "mixed-case-owner", Info, Breakage;
    TP611 = "TP611", "name-based-subject", Info, Security;
    TP612 = "TP612", "subject-template-without-owner", Critical, Security;
    TP613 = "TP613", "workflow-ref-mutable", Low, Security;
    TP614 = "TP614", "default-branch-only-pin", Info, Security;
    TP615 = "TP615", "special-characters", High, Breakage;
    TP616 = "TP616", "stray-whitespace", High, Breakage;
    TP617 = "TP617", "audience-value-unexpected", High, Breakage;
    TP618 = "TP618", "audience-wildcard", Medium, Security;
    TP619 = "TP619", "serviceaccount-wildcard", Medium, Security;
}

/// Looks a rule up by code, case-insensitively.
pub fn find(code: &str) -> Option<&'static Rule> {
    CATALOGUE
        .iter()
        .copied()
        .find(|rule| rule.code.eq_ignore_ascii_case(code.trim()))
}

/// Codes that look like `code` (for "did you mean"), closest first.
pub fn nearest(code: &str, limit: usize) -> Vec<&'static str> {
    let wanted = code.trim().to_ascii_uppercase();
    let mut scored: Vec<(usize, &'static str)> = CATALOGUE
        .iter()
        .map(|rule| (strsim::damerau_levenshtein(&wanted, rule.code), rule.code))
        .filter(|(distance, _)| *distance <= 2)
        .collect();
    scored.sort_unstable();
    scored
        .into_iter()
        .take(limit)
        .map(|(_, code)| code)
        .collect()
}
