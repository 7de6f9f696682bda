//! Every operator, qualifier, `IfExists`, absence and case rule.

use serde_json::json;

use super::{PROVIDER, Row, allow, run};
use crate::eval::Request;

const SUB: &str = "idp.example:sub";
const AUD: &str = "idp.example:aud";
const AMR: &str = "idp.example:amr";

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    vec![
        // String operators and case rules.
        ("StringEquals matches", allow(&json!({"StringEquals": {SUB: "u1"}})), &["idp.example:sub=u1"], true, None),
        ("StringEquals differs", allow(&json!({"StringEquals": {SUB: "u1"}})), &["idp.example:sub=u2"], false, Some(SUB)),
        ("values are case-sensitive", allow(&json!({"StringEquals": {SUB: "User"}})), &["idp.example:sub=user"], false, Some(SUB)),
        ("keys are case-insensitive", allow(&json!({"StringEquals": {"IDP.Example:SUB": "u1"}})), &["idp.example:sub=u1"], true, None),
        ("StringEqualsIgnoreCase ignores case", allow(&json!({"StringEqualsIgnoreCase": {SUB: "USER"}})), &["idp.example:sub=user"], true, None),
        ("StringEqualsIgnoreCase still compares", allow(&json!({"StringEqualsIgnoreCase": {SUB: "USER"}})), &["idp.example:sub=other"], false, Some(SUB)),
        ("StringNotEqualsIgnoreCase excludes any case", allow(&json!({"StringNotEqualsIgnoreCase": {SUB: "prod"}})), &["idp.example:sub=PROD"], false, Some(SUB)),
        ("StringNotEqualsIgnoreCase other value", allow(&json!({"StringNotEqualsIgnoreCase": {SUB: "prod"}})), &["idp.example:sub=dev"], true, None),
        ("StringNotEquals matches none", allow(&json!({"StringNotEquals": {SUB: ["a", "b"]}})), &["idp.example:sub=c"], true, None),
        ("StringNotEquals matches one", allow(&json!({"StringNotEquals": {SUB: ["a", "b"]}})), &["idp.example:sub=b"], false, Some(SUB)),
        ("StringNotEquals absent key is true", allow(&json!({"StringNotEquals": {SUB: "a"}})), &[], true, None),
        ("StringLike star", allow(&json!({"StringLike": {SUB: "repo:acme/*"}})), &["idp.example:sub=repo:acme/app:ref:refs/heads/main"], true, None),
        ("StringLike acme/* refuses acme-evil", allow(&json!({"StringLike": {SUB: "repo:acme/*"}})), &["idp.example:sub=repo:acme-evil/x"], false, Some(SUB)),
        ("StringLike ? one char", allow(&json!({"StringLike": {SUB: "env-?"}})), &["idp.example:sub=env-1"], true, None),
        ("StringLike ? not two chars", allow(&json!({"StringLike": {SUB: "env-?"}})), &["idp.example:sub=env-12"], false, Some(SUB)),
        ("StringLike ? not zero chars", allow(&json!({"StringLike": {SUB: "env-?"}})), &["idp.example:sub=env-"], false, Some(SUB)),
        ("StringLike is case-sensitive", allow(&json!({"StringLike": {SUB: "repo:Acme/*"}})), &["idp.example:sub=repo:acme/app"], false, Some(SUB)),
        ("StringLike absent key is false", allow(&json!({"StringLike": {SUB: "*"}})), &[], false, Some(SUB)),
        ("StringEquals star is literal", allow(&json!({"StringEquals": {SUB: "repo:acme/*"}})), &["idp.example:sub=repo:acme/app"], false, Some(SUB)),
        ("StringEquals star equals star", allow(&json!({"StringEquals": {SUB: "*"}})), &["idp.example:sub=*"], true, None),
        ("StringNotLike no match", allow(&json!({"StringNotLike": {SUB: "repo:evil/*"}})), &["idp.example:sub=repo:acme/app"], true, None),
        ("StringNotLike match", allow(&json!({"StringNotLike": {SUB: ["x", "repo:acme/*"]}})), &["idp.example:sub=repo:acme/app"], false, Some(SUB)),
        ("StringNotLike absent key is true", allow(&json!({"StringNotLike": {SUB: "repo:acme/*"}})), &[], true, None),
        // Values OR-ed, keys and blocks AND-ed.
        ("values are OR-ed", allow(&json!({"StringEquals": {SUB: ["a", "b", "c"]}})), &["idp.example:sub=b"], true, None),
        ("keys are AND-ed", allow(&json!({"StringEquals": {SUB: "a", AUD: "sts.amazonaws.com"}})), &["idp.example:sub=a", "idp.example:aud=other"], false, Some(AUD)),
        ("blocks are AND-ed", allow(&json!({"StringEquals": {AUD: "sts"}, "StringLike": {SUB: "repo:a/*"}})), &["idp.example:aud=sts", "idp.example:sub=repo:b/x"], false, Some(SUB)),
        ("all keys and blocks true", allow(&json!({"StringEquals": {AUD: "sts"}, "StringLike": {SUB: "repo:a/*"}})), &["idp.example:aud=sts", "idp.example:sub=repo:a/x"], true, None),
        // IfExists.
        ("IfExists absent is true", allow(&json!({"StringEqualsIfExists": {SUB: "a"}})), &[], true, None),
        ("IfExists present compares", allow(&json!({"StringEqualsIfExists": {SUB: "a"}})), &["idp.example:sub=b"], false, Some(SUB)),
        ("IfExists present matches", allow(&json!({"StringLikeIfExists": {SUB: "a*"}})), &["idp.example:sub=ab"], true, None),
        ("ForAnyValue IfExists absent is true", allow(&json!({"ForAnyValue:StringLikeIfExists": {AMR: "a*"}})), &[], true, None),
        // Numeric.
        ("NumericEquals number and text", allow(&json!({"NumericEquals": {"idp.example:n": 42}})), &["idp.example:n=42"], true, None),
        ("NumericEquals decimal", allow(&json!({"NumericEquals": {"idp.example:n": "42.0"}})), &["idp.example:n=42"], true, None),
        ("NumericNotEquals", allow(&json!({"NumericNotEquals": {"idp.example:n": [1, 2]}})), &["idp.example:n=3"], true, None),
        ("NumericNotEquals equal", allow(&json!({"NumericNotEquals": {"idp.example:n": [1, 2]}})), &["idp.example:n=2"], false, Some("idp.example:n")),
        ("NumericLessThan", allow(&json!({"NumericLessThan": {"idp.example:n": 10}})), &["idp.example:n=9"], true, None),
        ("NumericLessThan equal is false", allow(&json!({"NumericLessThan": {"idp.example:n": 10}})), &["idp.example:n=10"], false, Some("idp.example:n")),
        ("NumericLessThanEquals", allow(&json!({"NumericLessThanEquals": {"idp.example:n": 10}})), &["idp.example:n=10"], true, None),
        ("NumericGreaterThan", allow(&json!({"NumericGreaterThan": {"idp.example:n": 10}})), &["idp.example:n=10.5"], true, None),
        ("NumericGreaterThanEquals", allow(&json!({"NumericGreaterThanEquals": {"idp.example:n": 10}})), &["idp.example:n=9"], false, Some("idp.example:n")),
        ("Numeric on text is false", allow(&json!({"NumericEquals": {"idp.example:n": 1}})), &["idp.example:n=one"], false, Some("idp.example:n")),
        ("NumericNotEquals on text is false", allow(&json!({"NumericNotEquals": {"idp.example:n": "x"}})), &["idp.example:n=1"], false, Some("idp.example:n")),
        // Dates.
        ("DateEquals ISO and epoch", allow(&json!({"DateEquals": {"idp.example:d": "2026-01-01T00:00:00Z"}})), &["idp.example:d=1767225600"], true, None),
        ("DateNotEquals", allow(&json!({"DateNotEquals": {"idp.example:d": "2026-01-01"}})), &["idp.example:d=2026-01-02T00:00:00Z"], true, None),
        ("DateLessThan", allow(&json!({"DateLessThan": {"idp.example:d": "2026-01-01T00:00:00Z"}})), &["idp.example:d=2025-12-31T23:59:59Z"], true, None),
        ("DateLessThanEquals", allow(&json!({"DateLessThanEquals": {"idp.example:d": "2026-01-01"}})), &["idp.example:d=2026-01-01T00:00:01Z"], false, Some("idp.example:d")),
        ("DateGreaterThan", allow(&json!({"DateGreaterThan": {"idp.example:d": 1_767_225_600}})), &["idp.example:d=2026-06-01T00:00:00Z"], true, None),
        ("DateGreaterThanEquals", allow(&json!({"DateGreaterThanEquals": {"idp.example:d": "2026-01-01T00:00:00Z"}})), &["idp.example:d=2026-01-01T00:00:00Z"], true, None),
        ("Date on text is false", allow(&json!({"DateLessThan": {"idp.example:d": "tomorrow"}})), &["idp.example:d=2026-01-01T00:00:00Z"], false, Some("idp.example:d")),
        // Bool, binary, IP, ARN, Null.
        ("Bool true and text", allow(&json!({"Bool": {"idp.example:b": true}})), &["idp.example:b=true"], true, None),
        ("Bool differs", allow(&json!({"Bool": {"idp.example:b": "false"}})), &["idp.example:b=true"], false, Some("idp.example:b")),
        ("Bool on text is false", allow(&json!({"Bool": {"idp.example:b": "yes"}})), &["idp.example:b=yes"], false, Some("idp.example:b")),
        ("BinaryEquals same bytes", allow(&json!({"BinaryEquals": {"idp.example:bin": "aGk="}})), &["idp.example:bin=aGk="], true, None),
        ("BinaryEquals other bytes", allow(&json!({"BinaryEquals": {"idp.example:bin": "aGk="}})), &["idp.example:bin=aG8="], false, Some("idp.example:bin")),
        ("BinaryEquals not base64", allow(&json!({"BinaryEquals": {"idp.example:bin": "aGk="}})), &["idp.example:bin=hi!"], false, Some("idp.example:bin")),
        ("IpAddress absent in web identity", allow(&json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})), &[], false, Some("aws:SourceIp")),
        ("IpAddress in range", allow(&json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})), &["aws:sourceip=203.0.113.7"], true, None),
        ("NotIpAddress absent is true", allow(&json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})), &[], true, None),
        ("NotIpAddress in range", allow(&json!({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})), &["aws:sourceip=203.0.113.7"], false, Some("aws:SourceIp")),
        ("ArnEquals", allow(&json!({"ArnEquals": {"aws:FederatedProvider": PROVIDER}})), &["aws:federatedprovider=arn:aws:iam::123456789012:oidc-provider/idp.example"], true, None),
        ("ArnLike", allow(&json!({"ArnLike": {"aws:FederatedProvider": "arn:aws:iam::*:oidc-provider/idp.*"}})), &["aws:federatedprovider=arn:aws:iam::123456789012:oidc-provider/idp.example"], true, None),
        ("ArnNotEquals", allow(&json!({"ArnNotEquals": {"aws:FederatedProvider": PROVIDER}})), &["aws:federatedprovider=arn:aws:iam::123456789012:oidc-provider/idp.example"], false, Some("aws:FederatedProvider")),
        ("ArnNotLike", allow(&json!({"ArnNotLike": {"aws:FederatedProvider": "arn:aws:iam::*:oidc-provider/evil*"}})), &["aws:federatedprovider=arn:aws:iam::123456789012:oidc-provider/idp.example"], true, None),
        ("Null true absent", allow(&json!({"Null": {"idp.example:email": "true"}})), &[], true, None),
        ("Null true present", allow(&json!({"Null": {"idp.example:email": "true"}})), &["idp.example:email=a@b"], false, Some("idp.example:email")),
        ("Null false present", allow(&json!({"Null": {"idp.example:email": false}})), &["idp.example:email=a@b"], true, None),
        ("Null false absent", allow(&json!({"Null": {"idp.example:email": "false"}})), &[], false, Some("idp.example:email")),
        // Set qualifiers on multi-valued keys.
        ("ForAnyValue one matches", allow(&json!({"ForAnyValue:StringEquals": {AMR: "authenticated"}})), &["idp.example:amr=authenticated|accounts.google.com"], true, None),
        ("ForAnyValue none matches", allow(&json!({"ForAnyValue:StringEquals": {AMR: "authenticated"}})), &["idp.example:amr=unauthenticated"], false, Some(AMR)),
        ("ForAnyValue absent is false", allow(&json!({"ForAnyValue:StringLike": {AMR: "*"}})), &[], false, Some(AMR)),
        ("ForAnyValue empty is false", allow(&json!({"ForAnyValue:StringLike": {AMR: "*"}})), &["idp.example:amr=[]"], false, Some(AMR)),
        ("ForAllValues every value matches", allow(&json!({"ForAllValues:StringEquals": {AMR: ["a", "b"]}})), &["idp.example:amr=b|a"], true, None),
        ("ForAllValues one value outside", allow(&json!({"ForAllValues:StringEquals": {AMR: ["a", "b"]}})), &["idp.example:amr=a|c"], false, Some(AMR)),
        ("ForAllValues absent is TRUE", allow(&json!({"ForAllValues:StringEquals": {SUB: "repo:acme/app:ref:refs/heads/main"}})), &[], true, None),
        ("ForAllValues empty is TRUE", allow(&json!({"ForAllValues:StringEquals": {AMR: "a"}})), &["idp.example:amr=[]"], true, None),
        ("ForAnyValue negated: one value matches none", allow(&json!({"ForAnyValue:StringNotEquals": {AMR: "a"}})), &["idp.example:amr=a|b"], true, None),
        ("ForAnyValue negated: every value excluded", allow(&json!({"ForAnyValue:StringNotEquals": {AMR: "a"}})), &["idp.example:amr=a"], false, Some(AMR)),
        ("ForAnyValue negated absent is false", allow(&json!({"ForAnyValue:StringNotEquals": {AMR: "a"}})), &[], false, Some(AMR)),
        ("ForAllValues negated: none excluded", allow(&json!({"ForAllValues:StringNotLike": {AMR: "c*"}})), &["idp.example:amr=a|b"], true, None),
        ("ForAllValues negated: one excluded", allow(&json!({"ForAllValues:StringNotLike": {AMR: "c*"}})), &["idp.example:amr=a|cx"], false, Some(AMR)),
        ("no qualifier, multi-valued: any value", allow(&json!({"StringEquals": {AMR: "authenticated"}})), &["idp.example:amr=x|authenticated"], true, None),
        ("no qualifier, negated multi-valued: none may match", allow(&json!({"StringNotEquals": {AMR: "unauthenticated"}})), &["idp.example:amr=unauthenticated|x"], false, Some(AMR)),
        ("no qualifier, empty set is absent", allow(&json!({"StringEquals": {AMR: "a"}})), &["idp.example:amr=[]"], false, Some(AMR)),
        // Policy values of other JSON types compare as text.
        ("number value under StringEquals", allow(&json!({"StringEquals": {"idp.example:repository_id": 42}})), &["idp.example:repository_id=42"], true, None),
        ("boolean value under StringEquals", allow(&json!({"StringEquals": {"idp.example:ref_protected": true}})), &["idp.example:ref_protected=true"], true, None),
        ("object value never matches", allow(&json!({"StringEquals": {SUB: {"a": 1}}})), &["idp.example:sub=a"], false, Some(SUB)),
        // Operators outside IAM's grammar.
        ("unknown operator is false", allow(&json!({"StringEqual": {SUB: "a"}})), &["idp.example:sub=a"], false, Some(SUB)),
    ]
}

#[test]
fn condition_table() {
    let rows = rows();
    assert!(rows.len() >= 60, "{} rows", rows.len());
    run(&rows, &Request::new(PROVIDER));
}
