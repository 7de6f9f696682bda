//! Finding trust policies inside input files, by content rather than by
//! extension: a plain policy document, `aws iam get-role` output,
//! `CloudFormation` templates and Terraform plans. No I/O: the caller reads the
//! file and hands over its text.

use std::sync::Arc;

use serde_json::Value;

use super::source::{JsonSource, Span, SyntaxError, child};

/// What kind of file a policy was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    PolicyDocument,
    GetRoleOutput,
    CloudFormation,
    TerraformPlan,
    /// Terraform source (`.tf`).
    TerraformSource,
    /// Read from IAM itself (`provider`, `scan`, `assume`).
    IamRole,
}

impl InputKind {
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::PolicyDocument => "policy document",
            InputKind::GetRoleOutput => "`aws iam get-role` output",
            InputKind::CloudFormation => "CloudFormation template",
            InputKind::TerraformPlan => "Terraform plan",
            InputKind::TerraformSource => "Terraform configuration",
            InputKind::IamRole => "IAM role",
        }
    }
}

/// One trust policy found in a file.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    /// The file as the user named it.
    pub path: String,
    pub kind: InputKind,
    /// The resource or role it belongs to: `aws_iam_role.deploy`,
    /// `Resources/DeployRole`, the role ARN of get-role output.
    pub resource: Option<String>,
    /// The role ARN when the input says it (get-role output).
    pub role_arn: Option<String>,
    /// The JSON the policy's positions refer to: the file itself, or the
    /// policy text embedded in it (Terraform's string, get-role's URL-encoded form).
    pub source: Arc<JsonSource>,
    /// Where the policy stands inside `source` (`""` when it is the whole text).
    pub base: String,
    /// Why the policy is not checked: built by a `CloudFormation` intrinsic
    /// (`Fn::Sub`...), or only known after a Terraform apply.
    pub unresolved: Option<String>,
    /// An embedded policy that is not JSON (reported as TP001).
    pub broken: Option<SyntaxError>,
    /// Line and column, in the file, of the string an embedded policy is in
    /// (positions inside the policy count from its own first line).
    pub outer: Option<(usize, usize)>,
}

impl PolicyDocument {
    /// A trust policy read from IAM (`GetRole`, `ListRoles`, or the text of
    /// `assume --policy FILE`): locations name `resource`, the role ARN or
    /// the file. The text may still be URL-encoded, as IAM sends it.
    pub fn from_text(resource: &str, text: String) -> Result<PolicyDocument, SyntaxError> {
        let text = if text.trim_start().starts_with('%') {
            percent_decode(&text)
        } else {
            text
        };
        let mut source = JsonSource::parse(text)?;
        // IAM often hands back one long line: laid out, findings point at
        // readable lines. Not when a key repeats: that must stay visible.
        if !source.text.trim_end().contains('\n')
            && source.duplicate_keys.is_empty()
            && let Ok(pretty) = serde_json::to_string_pretty(&source.value)
        {
            source = JsonSource::parse(pretty)?;
        }
        Ok(PolicyDocument {
            path: resource.to_owned(),
            kind: InputKind::IamRole,
            resource: None,
            role_arn: resource.starts_with("arn:").then(|| resource.to_owned()),
            source: Arc::new(source),
            base: String::new(),
            unresolved: None,
            broken: None,
            outer: None,
        })
    }

    /// The policy value.
    pub fn value(&self) -> &Value {
        self.source
            .value
            .pointer(&self.base)
            .unwrap_or(&Value::Null)
    }

    /// Span in `source` of a pointer relative to the policy.
    pub fn span(&self, pointer: &str) -> Option<Span> {
        self.source.span(&format!("{}{pointer}", self.base))
    }
}

/// What a file turned out to be.
#[derive(Debug)]
pub enum Recognised {
    Policies(Vec<PolicyDocument>),
    /// Valid JSON, but none of the kinds above.
    NotAPolicyFile,
    /// Not JSON at all (TP001 in a `.json` file; skipped otherwise).
    Unparseable(SyntaxError),
    /// A recognised file whose embedded policy is not JSON (TP001).
    EmbeddedUnparseable {
        kind: InputKind,
        resource: Option<String>,
        error: SyntaxError,
    },
}

/// Recognises the kind of a JSON input file and finds its trust policies.
pub fn recognise_json(path: &str, text: String) -> Recognised {
    match JsonSource::parse(text) {
        Ok(source) => recognise(path, &Arc::new(source)),
        Err(error) => Recognised::Unparseable(error),
    }
}

/// Recognises a YAML file: a `CloudFormation` template, or a policy
/// written in YAML (a `Statement`, or a policy `Version`).
pub fn recognise_yaml(path: &str, text: String) -> Recognised {
    match super::yaml::parse(text) {
        Ok(source)
            if source.value.get("Resources").is_some()
                || source.value.as_object().is_some_and(|top| {
                    top.contains_key("Statement") || looks_like_policy(top, "")
                }) =>
        {
            recognise(path, &Arc::new(source))
        }
        Ok(_) => Recognised::NotAPolicyFile,
        Err(error) => Recognised::Unparseable(error),
    }
}

fn recognise(path: &str, source: &Arc<JsonSource>) -> Recognised {
    let Value::Object(top) = &source.value else {
        return Recognised::NotAPolicyFile;
    };
    let document = |kind, base: String, resource: Option<String>, role_arn| PolicyDocument {
        path: path.to_owned(),
        kind,
        resource,
        role_arn,
        source: Arc::clone(source),
        base,
        unresolved: None,
        broken: None,
        outer: None,
    };
    if top.contains_key("Statement") && is_trust_policy(&source.value) {
        return Recognised::Policies(vec![document(
            InputKind::PolicyDocument,
            String::new(),
            None,
            None,
        )]);
    }
    if let Some(role) = top.get("Role").and_then(Value::as_object)
        && role.contains_key("AssumeRolePolicyDocument")
    {
        let arn = role.get("Arn").and_then(Value::as_str).map(str::to_owned);
        return get_role(path, source, arn);
    }
    if let Some(resources) = top.get("Resources").and_then(Value::as_object) {
        let mut found = Vec::new();
        for (name, resource) in resources {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::IAM::Role") {
                continue;
            }
            let base = child(
                &child(&child("/Resources", name), "Properties"),
                "AssumeRolePolicyDocument",
            );
            let Some(policy) = source.value.pointer(&base) else {
                continue;
            };
            let mut doc = document(
                InputKind::CloudFormation,
                base,
                Some(format!("Resources/{name}")),
                None,
            );
            doc.unresolved = intrinsic(policy);
            found.push(doc);
        }
        return Recognised::Policies(found);
    }
    if top.contains_key("resource_changes") || top.contains_key("planned_values") {
        return terraform_plan(path, source);
    }
    // A policy with its `Statement` misspelt or missing is still a policy,
    // and a broken one: linted, so TP002 says what is wrong.
    if looks_like_policy(top, &source.text) {
        return Recognised::Policies(vec![document(
            InputKind::PolicyDocument,
            String::new(),
            None,
            None,
        )]);
    }
    Recognised::NotAPolicyFile
}

/// Whether a JSON object that is none of the kinds read is meant as a
/// policy: a policy `Version`, a key that misspells `Statement`, or text
/// naming web-identity federation.
fn looks_like_policy(top: &serde_json::Map<String, Value>, text: &str) -> bool {
    let versioned = matches!(
        top.get("Version").and_then(Value::as_str),
        Some("2012-10-17" | "2008-10-17")
    );
    let misspelt = top.keys().any(|key| {
        super::suggest::did_you_mean(key, super::policy::POLICY_ELEMENTS.iter().copied())
            == Some("Statement")
    });
    versioned || misspelt || names_web_identity(text)
}

/// Text that names web-identity federation: the action or a provider ARN.
pub fn names_web_identity(text: &str) -> bool {
    let has = |needle: &str| {
        text.as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
    };
    has("sts:AssumeRoleWithWebIdentity") || has(":oidc-provider/")
}

/// Whether a policy document is a trust policy rather than an identity or
/// resource policy: a statement names a principal, or allows `sts:AssumeRole*`
/// (or no statement is an object at all).
fn is_trust_policy(document: &Value) -> bool {
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().filter(|s| s.is_object()).collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => Vec::new(),
    };
    // A malformed document is linted (TP002 says what is wrong with it).
    if statements.is_empty() {
        return true;
    }
    let assumes = |action: &str| action.to_ascii_lowercase().starts_with("sts:assumerole");
    // `Principle` and the like: a misspelt principal is still meant as one.
    let names_principal = |statement: &Value| {
        statement.as_object().is_some_and(|map| {
            map.keys().any(|key| {
                key == "Principal"
                    || key == "NotPrincipal"
                    || super::suggest::did_you_mean(key, ["Principal", "NotPrincipal"]).is_some()
            })
        })
    };
    statements.iter().any(|statement| {
        names_principal(statement)
            || match statement.get("Action") {
                Some(Value::String(action)) => assumes(action),
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(assumes),
                _ => false,
            }
    })
}

/// The name of a `CloudFormation` intrinsic function building the value, if any.
fn intrinsic(value: &Value) -> Option<String> {
    let Value::Object(map) = value else {
        return None;
    };
    if map.len() == 1 {
        let key = map.keys().next()?;
        if key.starts_with("Fn::") || key == "Ref" {
            return Some(key.clone());
        }
    }
    None
}

fn get_role(path: &str, source: &Arc<JsonSource>, arn: Option<String>) -> Recognised {
    let base = "/Role/AssumeRolePolicyDocument".to_owned();
    let resource = arn.clone();
    match source.value.pointer(&base) {
        // Some IAM APIs return the document URL-encoded.
        Some(Value::String(encoded)) => {
            let text = percent_decode(encoded);
            let outer = source
                .span(&base)
                .map(|(offset, _)| source.line_column(offset));
            match JsonSource::parse(text) {
                Ok(embedded) => Recognised::Policies(vec![PolicyDocument {
                    path: path.to_owned(),
                    kind: InputKind::GetRoleOutput,
                    resource,
                    role_arn: arn,
                    source: Arc::new(embedded),
                    base: String::new(),
                    unresolved: None,
                    broken: None,
                    outer,
                }]),
                Err(error) => Recognised::EmbeddedUnparseable {
                    kind: InputKind::GetRoleOutput,
                    resource,
                    error,
                },
            }
        }
        _ => Recognised::Policies(vec![PolicyDocument {
            path: path.to_owned(),
            kind: InputKind::GetRoleOutput,
            resource,
            role_arn: arn,
            source: Arc::clone(source),
            base,
            unresolved: None,
            broken: None,
            outer: None,
        }]),
    }
}

fn terraform_plan(path: &str, source: &Arc<JsonSource>) -> Recognised {
    let mut found = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let changes = source
        .value
        .get("resource_changes")
        .and_then(Value::as_array);
    for (i, change) in changes.into_iter().flatten().enumerate() {
        if change.get("type").and_then(Value::as_str) != Some("aws_iam_role") {
            continue;
        }
        let address = change
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or("aws_iam_role")
            .to_owned();
        let pointer = format!("/resource_changes/{i}/change/after/assume_role_policy");
        let unknown =
            change.pointer("/change/after_unknown/assume_role_policy") == Some(&Value::Bool(true));
        match change.pointer("/change/after/assume_role_policy") {
            Some(Value::String(policy)) => {
                found.push(embedded(path, &address, policy, source, &pointer));
            }
            _ if unknown => {
                let at = source
                    .span(&format!("/resource_changes/{i}"))
                    .map(|(offset, _)| source.line_column(offset));
                found.push(unknown_policy(path, &address, at));
            }
            _ => continue,
        }
        seen.insert(address);
    }
    // Roles only in planned_values (no change planned) are linted too.
    let mut modules = vec![(
        "/planned_values/root_module".to_owned(),
        source.value.pointer("/planned_values/root_module"),
    )];
    while let Some((module_pointer, Some(module))) = modules.pop() {
        for (i, resource) in module
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let address = resource
                .get("address")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if resource.get("type").and_then(Value::as_str) != Some("aws_iam_role")
                || seen.contains(address)
            {
                continue;
            }
            if let Some(policy) = resource
                .pointer("/values/assume_role_policy")
                .and_then(Value::as_str)
            {
                seen.insert(address.to_owned());
                let pointer = format!("{module_pointer}/resources/{i}/values/assume_role_policy");
                found.push(embedded(path, address, policy, source, &pointer));
            }
        }
        for (i, child_module) in module
            .get("child_modules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            modules.push((
                format!("{module_pointer}/child_modules/{i}"),
                Some(child_module),
            ));
        }
    }
    Recognised::Policies(found)
}

/// A policy embedded as a JSON string at `pointer` of the file; when it is
/// not JSON the document carries the error (TP001) instead.
fn embedded(
    path: &str,
    address: &str,
    text: &str,
    file: &JsonSource,
    pointer: &str,
) -> PolicyDocument {
    let outer = file
        .span(pointer)
        .map(|(offset, _)| file.line_column(offset));
    let (source, broken) = match JsonSource::parse(text.to_owned()) {
        Ok(source) => (source, None),
        Err(error) => (JsonSource::empty(), Some(error)),
    };
    PolicyDocument {
        path: path.to_owned(),
        kind: InputKind::TerraformPlan,
        resource: Some(address.to_owned()),
        role_arn: None,
        source: Arc::new(source),
        base: String::new(),
        unresolved: None,
        broken,
        outer,
    }
}

/// A role whose trust policy Terraform will only know after apply.
fn unknown_policy(path: &str, address: &str, at: Option<(usize, usize)>) -> PolicyDocument {
    PolicyDocument {
        path: path.to_owned(),
        kind: InputKind::TerraformPlan,
        resource: Some(address.to_owned()),
        role_arn: None,
        source: Arc::new(JsonSource::empty()),
        base: String::new(),
        unresolved: Some("known after apply".to_owned()),
        broken: None,
        outer: at,
    }
}

/// Decodes `%XX` escapes (and `+` as space, as IAM's form encoding does).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies(text: &str) -> Vec<PolicyDocument> {
        match recognise_json("f.json", text.to_owned()) {
            Recognised::Policies(list) => list,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn recognises_each_kind() {
        let plain = policies(r#"{"Version": "2012-10-17", "Statement": [{"Principal": {}}]}"#);
        assert_eq!(plain[0].kind, InputKind::PolicyDocument);
        // An identity or bucket policy is not a trust policy.
        let s3 =
            r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
        assert!(matches!(
            recognise_json("p.json", s3.to_owned()),
            Recognised::NotAPolicyFile
        ));

        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        let role = policies(&format!(
            r#"{{"Role": {{"Arn": "arn:aws:iam::1:role/r", "AssumeRolePolicyDocument": "{encoded}"}}}}"#
        ));
        assert_eq!(role[0].kind, InputKind::GetRoleOutput);
        assert_eq!(role[0].value()["Version"], "2012-10-17");
        assert_eq!(role[0].role_arn.as_deref(), Some("arn:aws:iam::1:role/r"));

        let cfn = policies(
            r#"{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": []}}},
                              "B": {"Type": "AWS::S3::Bucket"},
                              "S": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Fn::Sub": "x"}}}}}"#,
        );
        assert_eq!(cfn.len(), 2);
        assert_eq!(cfn[0].resource.as_deref(), Some("Resources/R"));
        assert!(cfn[0].span("/Statement").is_some());
        assert_eq!(cfn[1].unresolved.as_deref(), Some("Fn::Sub"));

        let plans = policies(
            r#"{"format_version": "1.2", "resource_changes": [{"address": "aws_iam_role.deploy", "type": "aws_iam_role",
                "change": {"after": {"assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}}}],
                "planned_values": {"root_module": {"child_modules": [{"resources": [{"address": "module.m.aws_iam_role.x",
                "type": "aws_iam_role", "values": {"assume_role_policy": "{\"Statement\":[]}"}}]}]}}}"#,
        );
        let addresses: Vec<_> = plans.iter().map(|p| p.resource.clone().unwrap()).collect();
        assert_eq!(
            addresses,
            ["aws_iam_role.deploy", "module.m.aws_iam_role.x"]
        );
    }

    #[test]
    fn other_json_and_broken_json_are_told_apart() {
        assert!(matches!(
            recognise_json("p.json", r#"{"name": "x"}"#.to_owned()),
            Recognised::NotAPolicyFile
        ));
        assert!(matches!(
            recognise_json("p.json", "{,".to_owned()),
            Recognised::Unparseable(_)
        ));
        // A broken embedded policy is reported, and the plan's other roles still linted.
        let plan = r#"{"resource_changes": [
            {"address": "a", "type": "aws_iam_role", "change": {"after": {"assume_role_policy": "{"}}},
            {"address": "b", "type": "aws_iam_role", "change": {"after": {"assume_role_policy": "{\"Statement\": []}"}}},
            {"address": "c", "type": "aws_iam_role", "change": {"after": {}, "after_unknown": {"assume_role_policy": true}}}]}"#;
        let docs = policies(plan);
        assert_eq!(docs.len(), 3);
        assert!(docs[0].broken.is_some());
        assert_eq!(docs[0].outer.map(|(line, _)| line), Some(2));
        assert!(docs[1].broken.is_none() && docs[1].unresolved.is_none());
        assert_eq!(docs[2].unresolved.as_deref(), Some("known after apply"));
    }

    #[test]
    fn percent_decoding_is_total() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("%zz%"), "%zz%");
        assert_eq!(percent_decode("%C3%A9"), "é");
    }
}
