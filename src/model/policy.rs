//! An IAM role trust policy as the rules and the evaluator read it: every
//! element with the JSON pointer it came from, lists and single values
//! unified, operators parsed into operator, set qualifier and `IfExists`.
//! Anything that does not fit the grammar is kept and described, never
//! dropped, so the rules can say what is wrong with it. No I/O.

use serde_json::Value;

use super::source::child;

/// The text a `CloudFormation` intrinsic stands for, as far as it can be told
/// without deploying: `Fn::Sub`'s template, `${Name}` for `Ref`,
/// `${Resource.Attribute}` for `Fn::GetAtt`, `${Fn::Join}` for the others.
/// `None` for anything that is not an intrinsic.
pub fn intrinsic_text(value: &Value) -> Option<String> {
    let Value::Object(map) = value else {
        return None;
    };
    let (name, argument) = map.iter().next().filter(|_| map.len() == 1)?;
    match name.as_str() {
        "Fn::Sub" => match argument {
            Value::String(template) => Some(template.clone()),
            Value::Array(parts) => parts.first()?.as_str().map(str::to_owned),
            _ => None,
        },
        "Ref" => argument.as_str().map(|n| format!("${{{n}}}")),
        "Fn::GetAtt" => match argument {
            Value::String(path) => Some(format!("${{{path}}}")),
            Value::Array(parts) => {
                let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                Some(format!("${{{}}}", parts.join(".")))
            }
            _ => None,
        },
        other if other.starts_with("Fn::") => Some(format!("${{{other}}}")),
        _ => None,
    }
}

/// A string as written, or the text of an intrinsic that builds one.
fn resolved(value: &Value) -> Value {
    intrinsic_text(value).map_or_else(|| value.clone(), Value::String)
}

/// A value and the pointer of the node it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub pointer: String,
}

/// A problem with the document's shape (TP002).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeProblem {
    pub pointer: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// The principal element of a statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// `"Principal": "*"`.
    pub wildcard: Option<String>,
    pub federated: Vec<Located<String>>,
    pub aws: Vec<Located<String>>,
    pub service: Vec<Located<String>>,
    /// Other principal types (`CanonicalUser`...), by name.
    pub other: Vec<Located<String>>,
    /// Empty objects or arrays inside Principal (TP006).
    pub empty: Vec<String>,
}

impl Principal {
    pub fn is_empty(&self) -> bool {
        self.wildcard.is_none()
            && self.federated.is_empty()
            && self.aws.is_empty()
            && self.service.is_empty()
            && self.other.is_empty()
    }
}

/// `ForAnyValue:` / `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// The condition operators of IAM's grammar (without qualifier or `IfExists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseOperator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnNotEquals,
    ArnLike,
    ArnNotLike,
    Null,
}

const OPERATORS: &[(&str, BaseOperator)] = &[
    ("StringEquals", BaseOperator::StringEquals),
    ("StringNotEquals", BaseOperator::StringNotEquals),
    (
        "StringEqualsIgnoreCase",
        BaseOperator::StringEqualsIgnoreCase,
    ),
    (
        "StringNotEqualsIgnoreCase",
        BaseOperator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOperator::StringLike),
    ("StringNotLike", BaseOperator::StringNotLike),
    ("NumericEquals", BaseOperator::NumericEquals),
    ("NumericNotEquals", BaseOperator::NumericNotEquals),
    ("NumericLessThan", BaseOperator::NumericLessThan),
    ("NumericLessThanEquals", BaseOperator::NumericLessThanEquals),
    ("NumericGreaterThan", BaseOperator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        BaseOperator::NumericGreaterThanEquals,
    ),
    ("DateEquals", BaseOperator::DateEquals),
    ("DateNotEquals", BaseOperator::DateNotEquals),
    ("DateLessThan", BaseOperator::DateLessThan),
    ("DateLessThanEquals", BaseOperator::DateLessThanEquals),
    ("DateGreaterThan", BaseOperator::DateGreaterThan),
    ("DateGreaterThanEquals", BaseOperator::DateGreaterThanEquals),
    ("Bool", BaseOperator::Bool),
    ("BinaryEquals", BaseOperator::BinaryEquals),
    ("IpAddress", BaseOperator::IpAddress),
    ("NotIpAddress", BaseOperator::NotIpAddress),
    ("ArnEquals", BaseOperator::ArnEquals),
    ("ArnNotEquals", BaseOperator::ArnNotEquals),
    ("ArnLike", BaseOperator::ArnLike),
    ("ArnNotLike", BaseOperator::ArnNotLike),
    ("Null", BaseOperator::Null),
];

impl BaseOperator {
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(name, _)| name)
    }

    /// The string operators.
    pub fn is_string(self) -> bool {
        matches!(
            self,
            BaseOperator::StringEquals
                | BaseOperator::StringNotEquals
                | BaseOperator::StringEqualsIgnoreCase
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringLike
                | BaseOperator::StringNotLike
        )
    }

    /// Operators that are true when the value does *not* match.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            BaseOperator::StringNotEquals
                | BaseOperator::StringNotEqualsIgnoreCase
                | BaseOperator::StringNotLike
                | BaseOperator::NumericNotEquals
                | BaseOperator::DateNotEquals
                | BaseOperator::NotIpAddress
                | BaseOperator::ArnNotEquals
                | BaseOperator::ArnNotLike
        )
    }

    /// Operators whose values are patterns (`*`, `?`).
    pub fn is_like(self) -> bool {
        matches!(
            self,
            BaseOperator::StringLike
                | BaseOperator::StringNotLike
                | BaseOperator::ArnLike
                | BaseOperator::ArnNotLike
                | BaseOperator::ArnEquals
                | BaseOperator::ArnNotEquals
        )
    }
}

/// A parsed condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub set: Option<SetQualifier>,
    pub base: BaseOperator,
    pub if_exists: bool,
}

impl Operator {
    /// Every operator IAM's grammar spells, qualifiers and `IfExists` included.
    pub fn all_names() -> Vec<String> {
        ["", "ForAnyValue:", "ForAllValues:"]
            .iter()
            .flat_map(|q| {
                OPERATORS
                    .iter()
                    .flat_map(move |(n, _)| [format!("{q}{n}"), format!("{q}{n}IfExists")])
            })
            .filter(|name| Operator::parse(name).is_some())
            .collect()
    }

    /// Parses an operator exactly as IAM's grammar spells it (case-sensitive).
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = if let Some(rest) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, text)
        };
        let (name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        let base = OPERATORS.iter().find(|(n, _)| *n == name)?.1;
        // `Null` takes no IfExists.
        if base == BaseOperator::Null && if_exists {
            return None;
        }
        Some(Operator {
            set,
            base,
            if_exists,
        })
    }
}

/// One key under one operator: `"StringLike": {"<key>": [values]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The operator as written, with its pointer (`/Statement/0/Condition/StringLike`).
    pub operator_text: Located<String>,
    /// `None` when the operator is not in IAM's grammar (TP007).
    pub operator: Option<Operator>,
    /// The condition key as written.
    pub key: Located<String>,
    /// The values (a single value becomes a one-element list), as JSON.
    pub values: Vec<Located<Value>>,
}

impl Condition {
    /// The key without its `<provider>:` prefix, as written (`sub`, `aud`);
    /// compare it ignoring case, as IAM does.
    pub fn claim(&self) -> &str {
        self.key
            .value
            .rsplit_once(':')
            .map_or("", |(_, claim)| claim)
    }

    /// The provider prefix of the key (`token.actions.githubusercontent.com`).
    pub fn prefix(&self) -> Option<&str> {
        self.key.value.rsplit_once(':').map(|(prefix, _)| prefix)
    }

    /// String values, for the operators that take strings.
    pub fn string_values(&self) -> impl Iterator<Item = Located<&str>> {
        self.values.iter().filter_map(|v| {
            v.value.as_str().map(|s| Located {
                value: s,
                pointer: v.pointer.clone(),
            })
        })
    }
}

/// One statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statement {
    pub index: usize,
    pub pointer: String,
    pub sid: Option<String>,
    pub effect: Option<Effect>,
    pub principal: Principal,
    pub principal_pointer: Option<String>,
    pub not_principal: Option<String>,
    pub actions: Vec<Located<String>>,
    pub not_action: Option<String>,
    pub resource: Option<String>,
    pub not_resource: Option<String>,
    /// Pointer of the Condition element, when present.
    pub condition_pointer: Option<String>,
    pub conditions: Vec<Condition>,
    /// Empty operator blocks inside Condition (TP006).
    pub empty_conditions: Vec<String>,
}

impl Statement {
    pub fn is_allow(&self) -> bool {
        self.effect == Some(Effect::Allow)
    }

    /// Conditions on a claim (`sub`, `aud`...) of any provider prefix.
    pub fn conditions_on<'a>(&'a self, claim: &'a str) -> impl Iterator<Item = &'a Condition> {
        self.conditions
            .iter()
            .filter(move |c| c.claim().eq_ignore_ascii_case(claim))
    }

    /// Conditions whose key belongs to `provider` (keys ignore case, as in IAM).
    pub fn conditions_of<'a>(&'a self, provider: &'a str) -> impl Iterator<Item = &'a Condition> {
        self.conditions
            .iter()
            .filter(move |c| c.prefix().is_some_and(|p| p.eq_ignore_ascii_case(provider)))
    }

    /// Conditions on `provider`'s claim `claim` (`<provider>:<claim>`).
    pub fn conditions_for<'a>(
        &'a self,
        provider: &'a str,
        claim: &'a str,
    ) -> impl Iterator<Item = &'a Condition> {
        self.conditions_of(provider)
            .filter(move |c| c.claim().eq_ignore_ascii_case(claim))
    }
}

/// The elements of a policy document.
pub const POLICY_ELEMENTS: &[&str] = &["Version", "Id", "Statement"];

/// The elements of a statement.
pub const STATEMENT_ELEMENTS: &[&str] = &[
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// The principal types IAM's grammar knows.
pub const PRINCIPAL_TYPES: [&str; 4] = ["AWS", "Federated", "Service", "CanonicalUser"];

/// A trust policy document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    pub version: Option<Located<Value>>,
    pub statements: Vec<Statement>,
    pub problems: Vec<ShapeProblem>,
}

impl Policy {
    /// Reads a policy document, describing every shape problem it meets.
    pub fn from_value(value: &Value) -> Policy {
        let mut policy = Policy::default();
        let Value::Object(document) = value else {
            policy.problem("", "the policy is not a JSON object");
            return policy;
        };
        policy.version = document.get("Version").map(|v| Located {
            value: v.clone(),
            pointer: "/Version".to_owned(),
        });
        let misspelt_statement = policy.unknown_elements(document, "", POLICY_ELEMENTS);
        match document.get("Statement") {
            None if misspelt_statement.contains(&"Statement") => {}
            None => policy.problem("", "the policy has no `Statement`"),
            Some(Value::Array(list)) => {
                for (i, statement) in list.iter().enumerate() {
                    policy.read_statement(statement, i, &child("/Statement", &i.to_string()));
                }
            }
            Some(statement @ Value::Object(_)) => {
                policy.read_statement(statement, 0, "/Statement");
            }
            Some(_) => policy.problem("/Statement", "`Statement` is neither an object nor a list"),
        }
        policy
    }

    /// Describes every key of `map` that is not one of `known`, with the
    /// element it most likely misspells; returns those elements.
    fn unknown_elements(
        &mut self,
        map: &serde_json::Map<String, Value>,
        pointer: &str,
        known: &[&'static str],
    ) -> Vec<&'static str> {
        let mut meant = Vec::new();
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            let guess = super::suggest::did_you_mean(key, known.iter().copied());
            let message = match guess {
                Some(word) => format!(
                    "`{key}` is not a policy element, and IAM refuses the document: did you mean `{word}`?"
                ),
                None => format!(
                    "`{key}` is not a policy element, and IAM refuses the document (elements here: {})",
                    known.join(", ")
                ),
            };
            self.problem(&child(pointer, key), &message);
            meant.extend(guess);
        }
        meant
    }

    fn problem(&mut self, pointer: &str, message: &str) {
        self.problems.push(ShapeProblem {
            pointer: pointer.to_owned(),
            message: message.to_owned(),
        });
    }

    fn read_statement(&mut self, value: &Value, index: usize, pointer: &str) {
        let Value::Object(map) = value else {
            self.problem(pointer, "a statement is not a JSON object");
            return;
        };
        let mut statement = Statement {
            index,
            pointer: pointer.to_owned(),
            sid: map.get("Sid").and_then(Value::as_str).map(str::to_owned),
            ..Statement::default()
        };
        let at = |name: &str| child(pointer, name);
        let misspelt = self.unknown_elements(map, pointer, STATEMENT_ELEMENTS);
        // A misspelt element is said once, as the misspelling.
        let missing = |element: &str| !misspelt.contains(&element);
        match map.get("Effect") {
            Some(Value::String(e)) if e == "Allow" => statement.effect = Some(Effect::Allow),
            Some(Value::String(e)) if e == "Deny" => statement.effect = Some(Effect::Deny),
            Some(_) => self.problem(&at("Effect"), "`Effect` must be \"Allow\" or \"Deny\""),
            None if missing("Effect") => self.problem(pointer, "the statement has no `Effect`"),
            None => {}
        }
        if let Some(principal) = map.get("Principal") {
            statement.principal_pointer = Some(at("Principal"));
            statement.principal = self.read_principal(principal, &at("Principal"));
        }
        statement.not_principal = map.get("NotPrincipal").map(|_| at("NotPrincipal"));
        match map.get("Action") {
            Some(action) => statement.actions = self.strings(action, &at("Action"), "`Action`"),
            None if !map.contains_key("NotAction") && missing("Action") => {
                self.problem(pointer, "the statement has no `Action`");
            }
            None => {}
        }
        statement.not_action = map.get("NotAction").map(|_| at("NotAction"));
        statement.resource = map.get("Resource").map(|_| at("Resource"));
        statement.not_resource = map.get("NotResource").map(|_| at("NotResource"));
        if let Some(condition) = map.get("Condition") {
            statement.condition_pointer = Some(at("Condition"));
            self.read_conditions(&mut statement, condition, &at("Condition"));
        }
        if statement.principal_pointer.is_none()
            && statement.not_principal.is_none()
            && missing("Principal")
        {
            self.problem(pointer, "the statement has no `Principal`");
        }
        self.statements.push(statement);
    }

    fn read_principal(&mut self, value: &Value, pointer: &str) -> Principal {
        let mut principal = Principal::default();
        match value {
            Value::String(s) if s == "*" => principal.wildcard = Some(pointer.to_owned()),
            Value::Object(map) => {
                if map.is_empty() {
                    principal.empty.push(pointer.to_owned());
                }
                for (kind, names) in map {
                    let at = child(pointer, kind);
                    let list = self.strings(names, &at, "a principal");
                    if list.is_empty() {
                        principal.empty.push(at.clone());
                    }
                    match kind.as_str() {
                        "Federated" => principal.federated.extend(list),
                        "AWS" => principal.aws.extend(list),
                        "Service" => principal.service.extend(list),
                        "CanonicalUser" => principal.other.extend(list),
                        _ => {
                            self.problem(
                                &at,
                                &format!(
                                    "`{kind}` is not a principal type (`AWS`, `Federated`, `Service`, `CanonicalUser`){}",
                                    super::suggest::hint(kind, PRINCIPAL_TYPES)
                                ),
                            );
                            principal.other.extend(list);
                        }
                    }
                }
            }
            _ => self.problem(pointer, "`Principal` must be \"*\" or an object"),
        }
        principal
    }

    /// A string or a list of strings, each with its pointer.
    fn strings(&mut self, value: &Value, pointer: &str, what: &str) -> Vec<Located<String>> {
        match &resolved(value) {
            Value::String(s) => vec![Located {
                value: s.clone(),
                pointer: pointer.to_owned(),
            }],
            Value::Array(list) => list
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let at = child(pointer, &i.to_string());
                    if let Value::String(s) = resolved(v) {
                        Some(Located {
                            value: s,
                            pointer: at,
                        })
                    } else {
                        self.problem(&at, &format!("{what} must be a string"));
                        None
                    }
                })
                .collect(),
            _ => {
                self.problem(
                    pointer,
                    &format!("{what} must be a string or a list of strings"),
                );
                Vec::new()
            }
        }
    }

    fn read_conditions(&mut self, statement: &mut Statement, value: &Value, pointer: &str) {
        let Value::Object(blocks) = value else {
            self.problem(pointer, "`Condition` must be an object");
            return;
        };
        if blocks.is_empty() {
            statement.empty_conditions.push(pointer.to_owned());
        }
        for (operator, keys) in blocks {
            let op_pointer = child(pointer, operator);
            let Value::Object(keys) = keys else {
                self.problem(
                    &op_pointer,
                    "a condition operator must hold an object of keys",
                );
                continue;
            };
            if keys.is_empty() {
                statement.empty_conditions.push(op_pointer.clone());
            }
            for (key, values) in keys {
                let key_pointer = child(&op_pointer, key);
                if values.as_array().is_some_and(Vec::is_empty) {
                    statement.empty_conditions.push(key_pointer.clone());
                }
                // Values built by CloudFormation intrinsics are read as their text.
                let values = match values {
                    Value::Array(list) => list
                        .iter()
                        .enumerate()
                        .map(|(i, v)| Located {
                            value: resolved(v),
                            pointer: child(&key_pointer, &i.to_string()),
                        })
                        .collect(),
                    single => vec![Located {
                        value: resolved(single),
                        pointer: key_pointer.clone(),
                    }],
                };
                statement.conditions.push(Condition {
                    operator_text: Located {
                        value: operator.clone(),
                        pointer: op_pointer.clone(),
                    },
                    operator: Operator::parse(operator),
                    key: Located {
                        value: key.clone(),
                        pointer: key_pointer,
                    },
                    values,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operators_parse_with_qualifiers() {
        let op = Operator::parse("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(op.set, Some(SetQualifier::ForAnyValue));
        assert_eq!(op.base, BaseOperator::StringLike);
        assert!(op.if_exists);
        for bad in [
            "StringEqual",
            "ForAllValuesStringEquals",
            "ForAnyValues:StringLike",
            "stringequals",
            "NullIfExists",
        ] {
            assert!(Operator::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn reads_a_github_trust_policy_with_pointers() {
        let policy = Policy::from_value(&json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": ["repo:acme/app:*", "repo:acme/lib:*"]}
                }
            }]
        }));
        assert!(policy.problems.is_empty(), "{:?}", policy.problems);
        let statement = &policy.statements[0];
        assert!(statement.is_allow());
        assert_eq!(
            statement.principal.federated[0].pointer,
            "/Statement/0/Principal/Federated"
        );
        let sub = statement.conditions_on("sub").next().unwrap();
        assert_eq!(sub.prefix(), Some("token.actions.githubusercontent.com"));
        assert_eq!(
            sub.values[1].pointer,
            "/Statement/0/Condition/StringLike/token.actions.githubusercontent.com:sub/1"
        );
        assert_eq!(sub.operator.unwrap().base, BaseOperator::StringLike);
    }

    #[test]
    fn describes_shape_problems_instead_of_failing() {
        let policy =
            Policy::from_value(&json!({"Statement": [{"Effect": "Permit", "Action": 3}, 4]}));
        let messages: Vec<&str> = policy.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(messages.contains(&"`Effect` must be \"Allow\" or \"Deny\""));
        assert!(messages.contains(&"`Action` must be a string or a list of strings"));
        assert!(messages.contains(&"the statement has no `Principal`"));
        assert!(messages.contains(&"a statement is not a JSON object"));
        assert!(
            Policy::from_value(&json!([])).problems[0]
                .message
                .contains("not a JSON object")
        );
    }
}
