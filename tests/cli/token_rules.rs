//! What the TK rules say about particular fixtures (the words, the severity,
//! the boundaries), through the library (the rule family itself) at the
//! fixed fixture instant. That every `bad-*` fixture fires its rule and no
//! `ok-*` one does is the fixture harness's (`fixture_harness.rs`).

use std::path::Path;

use jiff::Timestamp;
use oidc_doctor::finding::{Finding, Severity};
use oidc_doctor::model::token;
use oidc_doctor::rules;

use crate::support::{FIXTURE_NOW, fixture};

fn findings_for(path: &Path) -> Vec<Finding> {
    let bytes = std::fs::read(path).expect("fixture readable");
    let now: Timestamp = FIXTURE_NOW.parse().expect("instant");
    let parsed = token::parse(&bytes);
    let mut findings = rules::token::check(&parsed, now);
    // TK013's fixtures are checked against the test key set, as `decode --jwks` does.
    if path
        .parent()
        .is_some_and(|d| d.ends_with("TK013-token-signature-invalid"))
    {
        let jwks: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture("keys/test-jwks.json")).unwrap())
                .unwrap();
        let verification =
            oidc_doctor::model::signature::verify(parsed.jwt().unwrap(), &jwks).unwrap();
        findings.extend(rules::token::signature::check(
            &verification,
            "test-jwks.json",
        ));
    }
    findings
}

fn findings_of(relative: &str) -> Vec<Finding> {
    findings_for(&fixture(relative))
}

fn only<'a>(findings: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.code() == code).collect()
}

#[test]
fn the_baseline_token_is_clean_apart_from_the_subject_note() {
    let findings = findings_of("token/TK003-token-kid-missing/ok-kid.jwt");
    let codes: Vec<&str> = findings.iter().map(Finding::code).collect();
    assert_eq!(codes, ["TK014"]);
}

#[test]
fn tk001_says_what_the_input_looks_like_instead() {
    let cases = [
        ("bad-empty.jwt", "The token is empty."),
        ("bad-file-path.jwt", "looks like a file path"),
        ("bad-jwe.jwt", "encrypted token (JWE)"),
        ("bad-opaque.jwt", "a GitHub App installation token (`ghs_…`"),
        ("bad-json-other-key.jwt", "with the token in field `token`"),
        (
            "bad-header-not-json.jwt",
            "header (first part) decodes, but not to JSON",
        ),
        ("bad-two-parts.jwt", "has 2 dot-separated parts"),
        ("bad-std-base64.jwt", "standard base64"),
        (
            "bad-unsigned.jwt",
            "The signature (third part) is empty: the token is unsigned.",
        ),
    ];
    for (file, expected) in cases {
        let findings = findings_of(&format!("token/TK001-token-not-jwt/{file}"));
        let tk001 = only(&findings, "TK001");
        assert_eq!(tk001.len(), 1, "{file}");
        assert!(
            tk001[0].message.contains(expected),
            "{file}: {}",
            tk001[0].message
        );
        assert_eq!(tk001[0].severity, Severity::High);
    }
}

#[test]
fn tk001_never_echoes_an_opaque_secret() {
    let path = fixture("token/TK001-token-not-jwt/bad-opaque.jwt");
    let secret = std::fs::read_to_string(&path).unwrap().trim().to_owned();
    for finding in findings_for(&path) {
        assert!(
            !finding.message.contains(&secret[4..]),
            "{}",
            finding.message
        );
        assert!(!finding.help.contains(&secret[4..]));
    }
}

#[test]
fn tk004_reports_each_missing_claim_by_name() {
    let cases = [
        ("bad-no-aud.jwt", "The token has no `aud` claim."),
        ("bad-null-sub.jwt", "Claim `sub` is null."),
        ("bad-no-iat.jwt", "The token has no `iat` claim."),
        ("bad-empty-aud-list.jwt", "Claim `aud` is an empty list."),
        ("bad-no-iss.jwt", "The token has no `iss` claim."),
        ("bad-no-exp.jwt", "The token has no `exp` claim."),
        ("bad-sub-not-string.jwt", "Claim `sub` is not a string."),
        (
            "bad-aud-not-string.jwt",
            "Claim `aud` is neither a string nor a list of strings.",
        ),
        (
            "bad-aud-list-of-numbers.jwt",
            "Claim `aud` is a list with values that are not strings.",
        ),
    ];
    for (file, expected) in cases {
        let findings = findings_of(&format!("token/TK004-token-claim-missing/{file}"));
        let messages: Vec<&str> = only(&findings, "TK004")
            .iter()
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(messages, [expected], "{file}");
    }
    let aud = findings_of("token/TK004-token-claim-missing/bad-no-aud.jwt");
    assert!(
        only(&aud, "TK004")[0]
            .help
            .contains("Missing a required claim: aud")
    );
}

#[test]
fn tk005_is_medium_inside_the_skew_and_high_beyond_it() {
    let within = findings_of("token/TK005-token-expired/bad-expired-within-skew.jwt");
    let tk005 = only(&within, "TK005");
    assert_eq!(tk005[0].severity, Severity::Medium);
    assert!(
        tk005[0].message.contains("expired 2m ago"),
        "{}",
        tk005[0].message
    );
    assert!(
        tk005[0].message.contains("still accepts it for 3m more"),
        "{}",
        tk005[0].message
    );

    let beyond = findings_of("token/TK005-token-expired/bad-expired-one-hour.jwt");
    let tk005 = only(&beyond, "TK005");
    assert_eq!(tk005[0].severity, Severity::High);
    assert!(
        tk005[0]
            .message
            .contains("expired 1h ago (2026-06-01T11:00:00Z)"),
        "{}",
        tk005[0].message
    );
    assert!(tk005[0].help.contains("ExpiredTokenException"));
    // An expired token is not also "short-lived".
    assert!(only(&beyond, "TK012").is_empty());
}

#[test]
fn tk005_boundaries_follow_the_five_minute_skew() {
    let now = findings_of("token/TK005-token-expired/bad-expires-exactly-now.jwt");
    let tk005 = only(&now, "TK005");
    assert_eq!(
        tk005[0].severity,
        Severity::Medium,
        "a token is expired at exp"
    );
    assert!(
        tk005[0].message.contains("expired just now"),
        "{}",
        tk005[0].message
    );
    assert!(
        tk005[0].message.contains("for 5m more"),
        "{}",
        tk005[0].message
    );
    let five = findings_of("token/TK005-token-expired/bad-expired-exactly-five-minutes.jwt");
    assert_eq!(
        only(&five, "TK005")[0].severity,
        Severity::High,
        "refused from 5 minutes on"
    );
    let sixty = findings_of("token/TK012-token-short-lifetime/bad-expires-in-60s.jwt");
    assert!(only(&sixty, "TK012")[0].message.contains("expires in 1m"));
}

#[test]
fn tk003_judges_an_empty_kid_like_a_missing_one() {
    let findings = findings_of("token/TK003-token-kid-missing/bad-empty-kid.jwt");
    assert_eq!(
        only(&findings, "TK003")[0].message,
        "The header's `kid` is empty."
    );
}

#[test]
fn time_rules_follow_the_injected_instant() {
    let bytes = std::fs::read(fixture(
        "token/TK005-token-expired/bad-expired-one-hour.jwt",
    ))
    .unwrap();
    let parsed = token::parse(&bytes);
    let earlier: Timestamp = "2026-06-01T10:59:30Z".parse().unwrap();
    let codes: Vec<&str> = rules::token::check(&parsed, earlier)
        .iter()
        .map(Finding::code)
        .collect();
    assert!(
        codes.contains(&"TK012"),
        "30 s before exp it is short-lived: {codes:?}"
    );
    assert!(!codes.contains(&"TK005"));
}

#[test]
fn tk006_names_the_claim_and_how_far_ahead() {
    let findings = findings_of("token/TK006-token-not-yet-valid/bad-iat-future.jwt");
    let tk006 = only(&findings, "TK006");
    assert_eq!(tk006.len(), 1);
    assert!(
        tk006[0]
            .message
            .starts_with("Claim `iat` is 15m in the future"),
        "{}",
        tk006[0].message
    );
}

#[test]
fn tk007_describes_the_wrong_type() {
    for (file, expected) in [
        (
            "bad-exp-fraction.jwt",
            "Claim `exp` is a number with a fraction",
        ),
        ("bad-iat-string.jwt", "Claim `iat` is a string"),
        ("bad-nbf-bool.jwt", "Claim `nbf` is a boolean (true)"),
    ] {
        let findings = findings_of(&format!("token/TK007-token-timestamp-not-integer/{file}"));
        let tk007 = only(&findings, "TK007");
        assert_eq!(tk007.len(), 1, "{file}");
        assert!(
            tk007[0].message.starts_with(expected),
            "{file}: {}",
            tk007[0].message
        );
    }
}

#[test]
fn tk009_counts_characters_exactly() {
    let findings = findings_of("token/TK009-token-too-long/bad-20001-chars.jwt");
    assert!(
        only(&findings, "TK009")[0]
            .message
            .contains("20001 characters")
    );
}

#[test]
fn tk010_judges_each_issuer_form() {
    for (file, severity, expected) in [
        ("bad-http.jwt", Severity::High, "uses http scheme"),
        ("bad-port.jwt", Severity::High, "has a port (`:8443`)"),
        ("bad-query.jwt", Severity::High, "has a query string"),
        ("bad-trailing-slash.jwt", Severity::Info, "ends with `/`"),
        (
            "bad-userinfo.jwt",
            Severity::High,
            "has a user name or password before the host",
        ),
        ("bad-empty-port.jwt", Severity::High, "has an empty port"),
    ] {
        let findings = findings_of(&format!("token/TK010-token-issuer-form/{file}"));
        let tk010 = only(&findings, "TK010");
        assert_eq!(tk010.len(), 1, "{file}");
        assert_eq!(tk010[0].severity, severity, "{file}");
        assert!(
            tk010[0].message.contains(expected),
            "{file}: {}",
            tk010[0].message
        );
    }
}

#[test]
fn tk010_never_echoes_a_password_and_accepts_ipv6_hosts() {
    let findings = findings_of("token/TK010-token-issuer-form/bad-userinfo.jwt");
    for finding in only(&findings, "TK010") {
        assert!(!finding.message.contains("pw"), "{}", finding.message);
        assert!(
            finding.message.contains("https://***@issuer.example.com"),
            "{}",
            finding.message
        );
    }
    let ipv6 = findings_of("token/TK010-token-issuer-form/ok-ipv6-host.jwt");
    assert!(only(&ipv6, "TK010").is_empty(), "no port in [2001:db8::1]");
}

#[test]
fn tk011_is_medium_for_tags_and_high_for_broken_limits() {
    let present = findings_of("token/TK011-token-session-tags/bad-tags-present.jwt");
    let tk011 = only(&present, "TK011");
    assert_eq!(tk011[0].severity, Severity::Medium);
    assert!(tk011[0].help.contains("sts:TagSession"));
    for (file, expected) in [
        ("bad-multi-valued.jwt", "with 2 values"),
        ("bad-51-tags.jwt", "51 tags (at most 50)"),
        ("bad-long-key.jwt", "129-character key"),
        ("bad-long-value.jwt", "257-character value"),
        ("bad-non-string-value.jwt", "a value that is not a string"),
    ] {
        let findings = findings_of(&format!("token/TK011-token-session-tags/{file}"));
        let tk011 = only(&findings, "TK011");
        assert_eq!(tk011[0].severity, Severity::High, "{file}");
        assert!(
            tk011[0].message.contains(expected),
            "{file}: {}",
            tk011[0].message
        );
    }
}

#[test]
fn tk014_names_the_family_and_the_subject_form() {
    let cases = [
        (
            "github-classic.jwt",
            "GitHub Actions (shared issuer",
            "classic form: owner acme, repository app, branch main",
        ),
        (
            "github-immutable.jwt",
            "GitHub Actions (shared issuer",
            "immutable form: owner acme (id 1234567), repository app (id 7654321)",
        ),
        (
            "github-custom-template.jwt",
            "GitHub Actions",
            "custom template form: repository owner acme",
        ),
        (
            "github-enterprise.jwt",
            "GitHub Actions (enterprise issuer)",
            "classic form",
        ),
        ("ghes.jwt", "GitHub Enterprise Server", "classic form"),
        (
            "gitlab.jwt",
            "GitLab (gitlab.com) (shared issuer",
            "default form: project path acme/app, ref type branch, ref main",
        ),
        (
            "terraform-cloud.jwt",
            "HCP Terraform",
            "default form: organization acme, project Default Project, workspace prod, run phase apply",
        ),
        (
            "buildkite.jwt",
            "Buildkite",
            "default form: organization acme, pipeline deploy",
        ),
        (
            "circleci.jwt",
            "CircleCI (single-tenant",
            "default form: org 11111111-2222-3333-4444-555555555555",
        ),
        (
            "bitbucket.jwt",
            "Bitbucket Pipelines",
            "repository {aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}",
        ),
        (
            "eks.jwt",
            "Amazon EKS (IRSA)",
            "service account form: namespace payments, service account api",
        ),
        (
            "google.jwt",
            "Google (shared issuer",
            "user identifier form",
        ),
        (
            "cognito.jwt",
            "Amazon Cognito identity pools",
            "user identifier form",
        ),
        ("auth0.jwt", "Auth0", "user identifier form"),
        ("other.jwt", "other issuer", "user identifier form"),
    ];
    for (file, family, form) in cases {
        let findings = findings_of(&format!("token/TK014-token-subject-form/{file}"));
        let tk014 = only(&findings, "TK014");
        assert_eq!(tk014.len(), 1, "{file}");
        assert_eq!(tk014[0].severity, Severity::Info);
        assert!(
            tk014[0].message.starts_with(family),
            "{file}: {}",
            tk014[0].message
        );
        assert!(
            tk014[0].message.contains(form),
            "{file}: {}",
            tk014[0].message
        );
    }
}

#[test]
fn tk013_says_why_the_signature_fails() {
    for (file, expected) in [
        (
            "bad-unknown-kid.jwt",
            "has the token's kid `rotated-away` (it holds test-rsa-1, test-ec-1)",
        ),
        (
            "bad-tampered.jwt",
            "The RS256 signature does not verify with key `test-rsa-1`",
        ),
        (
            "bad-alg-key-mismatch.jwt",
            "is an RSA key, which cannot check an ES256 signature",
        ),
    ] {
        let findings = findings_of(&format!("token/TK013-token-signature-invalid/{file}"));
        let tk013 = only(&findings, "TK013");
        assert_eq!(tk013.len(), 1, "{file}");
        assert!(
            tk013[0].message.contains(expected),
            "{file}: {}",
            tk013[0].message
        );
    }
}

#[test]
fn tk015_names_the_imitated_issuer_and_shows_the_host_in_punycode() {
    for (file, imitated, punycode, sign) in [
        (
            "bad-cyrillic-o.jwt",
            "`token.actions.githubusercontent.com`",
            "`token.actions.githubusercontent.xn--cm-fmc`",
            "`\u{43e}` (U+043E, Cyrillic) in place of `o`",
        ),
        (
            "bad-punycode.jwt",
            "`token.actions.githubusercontent.com`",
            "`token.actions.githubusercontent.xn--cm-fmc`",
            "written in punycode (`xn--cm-fmc`)",
        ),
        (
            "bad-greek-omicron.jwt",
            "`gitlab.com`",
            "`gitlab.xn--cm-jbc`",
            "(U+03BF, Greek) in place of `o`",
        ),
        (
            "bad-rn-for-m.jwt",
            "`gitlab.com`",
            "`gitlab.corn`",
            "`rn` in place of `m`",
        ),
        (
            "bad-typo-tld.jwt",
            "`token.actions.githubusercontent.com`",
            "`token.actions.githubusercontent.co`",
            "1 character away",
        ),
        (
            "bad-transposition.jwt",
            "`token.actions.githubusercontent.com`",
            "`token.actions.githubusercontnet.com`",
            "1 character away",
        ),
        (
            "bad-ghe-com-cyrillic.jwt",
            "`token.actions.octo.ghe.com`",
            "`token.actions.octo.xn--gh-olc.com`",
            "mixes Latin and Cyrillic letters",
        ),
        (
            "bad-eks-typo.jwt",
            "`oidc.eks.eu-west-1.amazonaws.com`",
            "`oidc.eks.eu-west-1.amazonaws.co`",
            "1 character away",
        ),
    ] {
        let findings = findings_of(&format!("token/TK015-issuer-lookalike/{file}"));
        let tk015 = only(&findings, "TK015");
        assert_eq!(tk015.len(), 1, "{file}");
        let message = &tk015[0].message;
        assert_eq!(tk015[0].severity, Severity::High, "{file}");
        for expected in [imitated, punycode, sign] {
            assert!(
                message.contains(expected),
                "{file}: `{expected}` in {message}"
            );
        }
    }
    let cyrillic = findings_of("token/TK015-issuer-lookalike/bad-cyrillic-o.jwt");
    let message = &only(&cyrillic, "TK015")[0].message;
    assert!(message.contains("GitHub Actions"), "{message}");
    assert!(
        message.contains("`token.actions.githubusercontent.c\u{43e}m`"),
        "the host as written, too: {message}"
    );
}
