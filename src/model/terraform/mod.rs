//! Trust policies in Terraform source: every `aws_iam_role`'s
//! `assume_role_policy` in a module (a directory of `.tf` and `.tf.json`
//! files, read together as Terraform reads them), written as
//! `jsonencode({...})`, a heredoc or string of JSON, or a reference to a
//! `data "aws_iam_policy_document"` (`document.rs`); calls of the community
//! role modules by their inputs (`modules.rs`); JSON syntax through its
//! native form (`json.rs`). The policy value is built from the HCL and
//! every node keeps the span of the HCL it came from, so findings point at
//! lines of the file. References are resolved as far as the module allows
//! (`var.x` defaults and values from tfvars, literal `local.x`, an
//! `aws_iam_openid_connect_provider`); what cannot be resolved stays as
//! its `${...}` text, so no rule takes an unknown for a safe value. No I/O.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use hcl_edit::Span as _;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};
use hcl_edit::template::Element;
use serde_json::{Map, Value};

use crate::model::documents::{InputKind, PolicyDocument, Recognised};
use crate::model::provider::OidcProvider;
use crate::model::source::{JsonSource, Span, SyntaxError, below, child};

mod document;
mod json;
mod modules;

/// How deep references may chain (`local.a` naming `local.b`...).
const MAX_DEPTH: usize = 16;

/// What a `.tf` file holds: its trust policies and the OIDC providers it
/// declares (which feed the provider checks as `--provider-json` does).
#[derive(Debug)]
pub struct TerraformSource {
    pub recognised: Recognised,
    /// The providers this file declares.
    pub providers: Vec<OidcProvider>,
    /// The providers the whole module declares, which its roles may trust.
    pub module_providers: Vec<OidcProvider>,
}

/// One `.tf` file of a module: its name as the user sees it, and its text.
#[derive(Debug, Clone, Copy)]
pub struct ModuleFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// Reads one `.tf` file on its own. `tfvars` holds the values of variables
/// set beside it (`terraform.tfvars`, `*.auto.tfvars`), which win over
/// defaults.
pub fn recognise_terraform<S: std::hash::BuildHasher>(
    path: &str,
    text: &str,
    tfvars: &HashMap<String, Value, S>,
) -> TerraformSource {
    recognise_module(&[ModuleFile { name: path, text }], tfvars)
        .pop()
        .unwrap_or(TerraformSource {
            recognised: Recognised::NotAPolicyFile,
            providers: Vec::new(),
            module_providers: Vec::new(),
        })
}

/// Reads the `.tf` files of one module (a directory), as Terraform does:
/// a role in one file may use a policy document, variable, local or
/// provider declared in another. One result per file, in order; a file
/// that does not parse is TP001 at its byte and declares nothing.
pub fn recognise_module<S: std::hash::BuildHasher>(
    files: &[ModuleFile<'_>],
    tfvars: &HashMap<String, Value, S>,
) -> Vec<TerraformSource> {
    // `.tf.json` files are read in native syntax, their spans mapped back.
    let converted: Vec<Result<Option<json::Converted>, SyntaxError>> = files
        .iter()
        .map(|file| {
            if is_json_syntax(file.name) {
                json::convert(file.text).map(Some)
            } else {
                Ok(None)
            }
        })
        .collect();
    let native: Vec<ModuleFile<'_>> = files
        .iter()
        .zip(&converted)
        .map(|(file, converted)| ModuleFile {
            name: file.name,
            text: match converted {
                Ok(Some(c)) => &c.hcl,
                _ => file.text,
            },
        })
        .collect();
    let parsed: Vec<Result<Body, SyntaxError>> = native
        .iter()
        .zip(&converted)
        .map(|(file, converted)| {
            if let Err(error) = converted {
                return Err(error.clone());
            }
            hcl_edit::parser::parse_body(file.text).map_err(|error| {
                let location = error.location();
                SyntaxError {
                    message: error.message().to_owned(),
                    line: location.line(),
                    column: location.column(),
                    offset: location.offset().min(file.text.len()),
                }
            })
        })
        .collect();
    let bodies: Vec<(usize, &Body)> = parsed
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.as_ref().ok().map(|b| (i, b)))
        .collect();
    let mut decls = Declarations::new(&native, &bodies, tfvars);
    decls.written = files
        .iter()
        .zip(&converted)
        .map(|(file, converted)| (file.text, converted.as_ref().ok().and_then(Option::as_ref)))
        .collect();
    parsed
        .iter()
        .enumerate()
        .map(|(index, body)| match body {
            Err(error) => TerraformSource {
                recognised: Recognised::Unparseable(error.clone()),
                providers: Vec::new(),
                module_providers: Vec::new(),
            },
            Ok(body) => decls.at(index).recognise(body),
        })
        .collect()
}

/// What a `dynamic "KIND"` block stands for in a policy built from source
/// (a statement, or an element of one): known only when Terraform plans.
pub fn dynamic_marker(kind: &str) -> String {
    format!("${{dynamic \"{kind}\"}}")
}

/// Whether `text` is what a `dynamic` block stands for ([`dynamic_marker`]).
pub fn is_dynamic_marker(text: &str) -> bool {
    text.starts_with("${dynamic \"")
}

/// Whether a file is in Terraform's JSON syntax (`.tf.json`).
pub fn is_json_syntax(name: &str) -> bool {
    name.len() >= 8
        && name
            .get(name.len() - 8..)
            .is_some_and(|end| end.eq_ignore_ascii_case(".tf.json"))
}

/// Variable values in a `.tfvars` file (`name = literal`), or in a
/// `.tfvars.json` file (one JSON object); where the file does not parse,
/// why.
pub fn tfvars_values(text: &str, json: bool) -> Result<HashMap<String, Value>, SyntaxError> {
    if json {
        let source = JsonSource::parse(text.to_owned())?;
        return match source.value {
            Value::Object(map) => Ok(map.into_iter().collect()),
            _ => Err(SyntaxError {
                message: "a variables file in JSON is one object of variable names".to_owned(),
                line: 1,
                column: 1,
                offset: 0,
            }),
        };
    }
    let body = hcl_edit::parser::parse_body(text).map_err(|error| {
        let location = error.location();
        SyntaxError {
            message: error.message().to_owned(),
            line: location.line(),
            column: location.column(),
            offset: location.offset().min(text.len()),
        }
    })?;
    let files = [ModuleFile { name: "", text }];
    let decls = Declarations::new(&files, &[], &HashMap::new());
    let scope = decls.at(0);
    Ok(body
        .attributes()
        .map(|a| (a.key.as_str().to_owned(), scope.literal(&a.value, 0)))
        .collect())
}

fn resources<'a>(body: &'a Body, kind: &'a str, type_: &'a str) -> impl Iterator<Item = &'a Block> {
    body.get_blocks(kind)
        .filter(move |block| block.labels.first().is_some_and(|l| l.as_str() == type_))
}

fn label(block: &Block, index: usize) -> String {
    block
        .labels
        .get(index)
        .map_or_else(String::new, |l| l.as_str().to_owned())
}

fn range(span: Option<Range<usize>>) -> Option<Span> {
    span.map(|r| (r.start, r.end.saturating_sub(r.start)))
}

/// A name declared in the module, with the file that declares it.
type Declared<T> = HashMap<String, Vec<(usize, T)>>;

/// What the module declares that a reference can name.
struct Declarations<'a> {
    /// The files in native syntax (a `.tf.json` file as written natively).
    files: &'a [ModuleFile<'a>],
    /// Each file's text as the user wrote it and, for `.tf.json`, how its
    /// native form maps back to it (empty until the module is read).
    written: Vec<(&'a str, Option<&'a json::Converted>)>,
    variables: HashMap<String, Value>,
    locals: Declared<&'a Expression>,
    documents: Declared<&'a Block>,
    providers: Declared<OidcProvider>,
}

/// The declaration of `name` a reference in `file` means: the file's own
/// when it has one (Terraform refuses duplicates; this keeps each file's
/// reading whole), else the first.
fn pick<'d, T>(declared: &'d Declared<T>, name: &str, file: usize) -> Option<&'d (usize, T)> {
    let all = declared.get(name)?;
    all.iter().find(|(f, _)| *f == file).or_else(|| all.first())
}

/// Evaluation within one file of the module.
#[derive(Clone, Copy)]
struct Scope<'a> {
    file: usize,
    text: &'a str,
    decls: &'a Declarations<'a>,
}

/// A policy value being built, with the span of each node.
#[derive(Default)]
struct Built {
    spans: HashMap<String, Span>,
}

impl Built {
    /// Records the `spans` under `from` (of another value built) under
    /// `to`, in place of what was there.
    fn rebase(&mut self, spans: &HashMap<String, Span>, from: &str, to: &str) {
        self.spans.retain(|pointer, _| below(pointer, to).is_none());
        for (pointer, span) in spans {
            if let Some(rest) = below(pointer, from) {
                self.spans.insert(format!("{to}{rest}"), *span);
            }
        }
    }
}

impl<'a> Declarations<'a> {
    fn new<S: std::hash::BuildHasher>(
        files: &'a [ModuleFile<'a>],
        bodies: &[(usize, &'a Body)],
        tfvars: &HashMap<String, Value, S>,
    ) -> Declarations<'a> {
        let mut decls = Declarations {
            files,
            written: Vec::new(),
            variables: HashMap::new(),
            locals: HashMap::new(),
            documents: HashMap::new(),
            providers: HashMap::new(),
        };
        let mut defaults = Vec::new();
        for &(file, body) in bodies {
            for block in body.get_blocks("locals") {
                for attribute in block.body.attributes() {
                    decls
                        .locals
                        .entry(attribute.key.as_str().to_owned())
                        .or_default()
                        .push((file, &attribute.value));
                }
            }
            for block in resources(body, "data", "aws_iam_policy_document") {
                decls
                    .documents
                    .entry(label(block, 1))
                    .or_default()
                    .push((file, block));
            }
            for block in body.get_blocks("variable") {
                if let Some(default) = block.body.get_attribute("default") {
                    defaults.push((file, label(block, 0), &default.value));
                }
            }
        }
        let values: Vec<(String, Value)> = defaults
            .into_iter()
            .map(|(file, name, expr)| (name, decls.at(file).literal(expr, 0)))
            .collect();
        for (name, value) in values {
            decls.variables.entry(name).or_insert(value);
        }
        decls
            .variables
            .extend(tfvars.iter().map(|(k, v)| (k.clone(), v.clone())));
        let mut providers = Vec::new();
        for &(file, body) in bodies {
            let scope = decls.at(file);
            for block in resources(body, "resource", "aws_iam_openid_connect_provider") {
                if let Some(provider) = scope.provider(block) {
                    providers.push((label(block, 1), file, provider));
                }
            }
        }
        for (name, file, provider) in providers {
            decls
                .providers
                .entry(name)
                .or_default()
                .push((file, provider));
        }
        decls
    }

    /// The text the user wrote for `file` and `spans` of its native form
    /// mapped into it (the same for a `.tf` file).
    fn written(
        &self,
        file: usize,
        spans: HashMap<String, Span>,
    ) -> (String, HashMap<String, Span>) {
        match self.written.get(file) {
            Some((text, Some(converted))) => (
                (*text).to_owned(),
                spans
                    .into_iter()
                    .filter_map(|(pointer, span)| Some((pointer, converted.remap(span)?)))
                    .collect(),
            ),
            Some((text, None)) => ((*text).to_owned(), spans),
            None => (
                self.files.get(file).map_or("", |f| f.text).to_owned(),
                spans,
            ),
        }
    }

    /// Line and column, in the text the user wrote, of `offset` of
    /// `file`'s native form.
    fn position(&self, file: usize, offset: usize) -> (usize, usize) {
        match self.written.get(file) {
            Some((text, Some(converted))) => {
                converted.remap((offset, 0)).map_or((1, 1), |(start, _)| {
                    crate::model::source::line_column(text, start)
                })
            }
            _ => crate::model::source::line_column(
                self.files.get(file).map_or("", |f| f.text),
                offset,
            ),
        }
    }

    fn at(&'a self, file: usize) -> Scope<'a> {
        Scope {
            file,
            text: self.files.get(file).map_or("", |f| f.text),
            decls: self,
        }
    }
}

impl Scope<'_> {
    /// The roles of this file and the providers it declares.
    fn recognise(self, body: &Body) -> TerraformSource {
        let path = self.decls.files.get(self.file).map_or("", |f| f.name);
        let mut docs = Vec::new();
        for block in resources(body, "resource", "aws_iam_role") {
            let name = label(block, 1);
            let Some(attribute) = block.body.get_attribute("assume_role_policy") else {
                continue;
            };
            docs.push(self.role_policy(path, &format!("aws_iam_role.{name}"), &attribute.value));
        }
        docs.extend(
            body.get_blocks("module")
                .filter_map(|block| self.module_policy(path, block)),
        );
        let providers = resources(body, "resource", "aws_iam_openid_connect_provider")
            .filter_map(|block| self.provider(block))
            .collect();
        let recognised = if docs.is_empty() {
            Recognised::NotAPolicyFile
        } else {
            Recognised::Policies(docs)
        };
        let mut module_providers: Vec<OidcProvider> = Vec::new();
        for (_, provider) in self.decls.providers.values().flatten() {
            if !module_providers.contains(provider) {
                module_providers.push(provider.clone());
            }
        }
        module_providers.sort_by(|a, b| a.url.cmp(&b.url));
        TerraformSource {
            recognised,
            providers,
            module_providers,
        }
    }

    /// An `aws_iam_openid_connect_provider` whose `url` is known.
    fn provider(self, block: &Block) -> Option<OidcProvider> {
        let strings = |key: &str| -> Vec<String> {
            match block
                .body
                .get_attribute(key)
                .map(|a| self.literal(&a.value, 0))
            {
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            }
        };
        let url = block
            .body
            .get_attribute("url")
            .map(|a| self.literal(&a.value, 0));
        let Some(Value::String(url)) = url else {
            return None;
        };
        Some(OidcProvider {
            url: url.strip_prefix("https://").unwrap_or(&url).to_owned(),
            client_ids: strings("client_id_list"),
            thumbprints: strings("thumbprint_list"),
        })
    }

    /// The source text of a node, for the `${...}` of what is not known.
    fn source(&self, expr: &Expression) -> String {
        expr.span()
            .and_then(|r| self.text.get(r))
            // On one line: an expression over many lines is quoted in a message.
            .map_or_else(
                || "unknown".to_owned(),
                |s| s.split_whitespace().collect::<Vec<_>>().join(" "),
            )
    }

    fn unknown(&self, expr: &Expression) -> Value {
        Value::String(format!("${{{}}}", self.source(expr)))
    }

    /// The value of an expression without spans (variables, locals,
    /// provider attributes).
    fn literal(&self, expr: &Expression, depth: usize) -> Value {
        let mut built = Built::default();
        self.value(expr, "", &mut built, depth)
    }

    /// The value of `expr`, recording spans under `pointer`.
    fn value(&self, expr: &Expression, pointer: &str, built: &mut Built, depth: usize) -> Value {
        if let Some(span) = range(expr.span()) {
            built.spans.entry(pointer.to_owned()).or_insert(span);
        }
        if depth > MAX_DEPTH {
            return self.unknown(expr);
        }
        match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => {
                serde_json::from_str(&n.value().to_string()).unwrap_or_else(|_| self.unknown(expr))
            }
            Expression::String(s) => Value::String(s.value().clone()),
            Expression::Array(array) => Value::Array(
                array
                    .iter()
                    .enumerate()
                    .map(|(i, e)| self.value(e, &child(pointer, &i.to_string()), built, depth))
                    .collect(),
            ),
            Expression::Object(object) => {
                let mut map = Map::new();
                for (key, value) in object {
                    let name = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(e) => {
                            match self.value(e, "", &mut Built::default(), depth + 1) {
                                Value::String(s) => s,
                                other => other.to_string(),
                            }
                        }
                    };
                    let at = child(pointer, &name);
                    // The member's span starts at its key, as in JSON sources.
                    if let (Some(k), Some(v)) = (key.span(), value.expr().span()) {
                        built
                            .spans
                            .insert(at.clone(), (k.start, v.end.saturating_sub(k.start)));
                    }
                    let v = self.value(value.expr(), &at, built, depth);
                    map.insert(name, v);
                }
                Value::Object(map)
            }
            // `"${x}"` is `x` itself, not its text.
            Expression::StringTemplate(template) => match sole_interpolation(template) {
                Some(inner) => self.value(inner, pointer, built, depth + 1),
                None => self.template(template.iter(), depth),
            },
            Expression::HeredocTemplate(heredoc) => self.template(heredoc.template.iter(), depth),
            Expression::Parenthesis(inner) => self.value(inner.inner(), pointer, built, depth + 1),
            Expression::Traversal(_) | Expression::Variable(_) => self
                .reference(expr, depth)
                .unwrap_or_else(|| self.unknown(expr)),
            Expression::FuncCall(_) => self
                .resolved(expr, depth + 1)
                .unwrap_or_else(|| self.unknown(expr)),
            _ => self.unknown(expr),
        }
    }

    /// The value of `expr` when the source says it: a reference, a string,
    /// a template whose every part is known, or one of the string
    /// functions used to build condition keys (`replace`, `trimprefix`,
    /// `trimsuffix`, `lower`, `upper`) of known arguments. `None` otherwise.
    fn resolved(&self, expr: &Expression, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            Expression::String(s) => Some(Value::String(s.value().clone())),
            Expression::Traversal(_) | Expression::Variable(_) => self.reference(expr, depth),
            Expression::Parenthesis(inner) => self.resolved(inner.inner(), depth + 1),
            Expression::StringTemplate(template) => {
                let mut out = String::new();
                for element in template {
                    match element {
                        Element::Literal(literal) => out.push_str(literal.value()),
                        Element::Interpolation(i) => match self.resolved(&i.expr, depth + 1)? {
                            Value::String(s) => out.push_str(&s),
                            Value::Number(n) => out.push_str(&n.to_string()),
                            _ => return None,
                        },
                        Element::Directive(_) => return None,
                    }
                }
                Some(Value::String(out))
            }
            Expression::FuncCall(call) => {
                let args: Vec<String> = call
                    .args
                    .iter()
                    .map(|a| match self.resolved(a, depth + 1) {
                        Some(Value::String(s)) => Some(s),
                        _ => None,
                    })
                    .collect::<Option<_>>()?;
                let text = match (call.name.name.as_str(), args.as_slice()) {
                    // A `/.../` pattern is a regular expression: not evaluated.
                    ("replace", [s, from, to])
                        if !(from.len() > 1 && from.starts_with('/') && from.ends_with('/')) =>
                    {
                        s.replace(from.as_str(), to)
                    }
                    ("trimprefix", [s, prefix]) => {
                        s.strip_prefix(prefix.as_str()).unwrap_or(s).to_owned()
                    }
                    ("trimsuffix", [s, suffix]) => {
                        s.strip_suffix(suffix.as_str()).unwrap_or(s).to_owned()
                    }
                    ("lower", [s]) => s.to_lowercase(),
                    ("upper", [s]) => s.to_uppercase(),
                    _ => return None,
                };
                Some(Value::String(text))
            }
            _ => None,
        }
    }

    /// A string template: literal parts as written, interpolations
    /// resolved when they name a known string, else kept as `${...}`.
    fn template<'t>(&self, elements: impl Iterator<Item = &'t Element>, depth: usize) -> Value {
        let mut out = String::new();
        for element in elements {
            match element {
                Element::Literal(literal) => out.push_str(literal.value()),
                Element::Interpolation(interpolation) => {
                    match self.resolved(&interpolation.expr, depth + 1) {
                        Some(Value::String(s)) => out.push_str(&s),
                        Some(Value::Number(n)) => out.push_str(&n.to_string()),
                        _ => {
                            out.push_str("${");
                            out.push_str(&self.source(&interpolation.expr));
                            out.push('}');
                        }
                    }
                }
                Element::Directive(_) => out.push_str("${directive}"),
            }
        }
        Value::String(out)
    }

    /// `var.x`, `local.x`, a provider's `arn`/`url`, the caller's account
    /// and partition; `None` when the source does not say.
    fn reference(&self, expr: &Expression, depth: usize) -> Option<Value> {
        let path = traversal_path(expr)?;
        let parts: Vec<&str> = path.iter().map(String::as_str).collect();
        match parts.as_slice() {
            ["var", name, rest @ ..] => self
                .decls
                .variables
                .get(*name)
                .and_then(|v| member(v, rest))
                .cloned(),
            ["local", name, rest @ ..] => pick(&self.decls.locals, name, self.file)
                .map(|(file, e)| {
                    self.decls
                        .at(*file)
                        .value(e, "", &mut Built::default(), depth + 1)
                })
                .and_then(|v| member(&v, rest).cloned()),
            ["aws_iam_openid_connect_provider", name, "url"] => pick(&self.decls.providers, name, self.file)
                .map(|(_, p)| Value::String(format!("https://{}", p.url))),
            ["aws_iam_openid_connect_provider", name, "arn"] => pick(&self.decls.providers, name, self.file).map(|(_, p)| {
                Value::String(format!(
                    "arn:${{data.aws_partition.current.partition}}:iam::${{data.aws_caller_identity.current.account_id}}:oidc-provider/{}",
                    p.url
                ))
            }),
            _ => None,
        }
    }

    /// The trust policy of one role.
    fn role_policy(&self, path: &str, resource: &str, expr: &Expression) -> PolicyDocument {
        self.document_of(path, resource, self.policy(expr), expr.span())
    }

    /// The document of what a role's policy turned out to be; `at` is
    /// where it is written.
    fn document_of(
        &self,
        path: &str,
        resource: &str,
        policy: Policy,
        at: Option<Range<usize>>,
    ) -> PolicyDocument {
        let mut doc = PolicyDocument {
            path: path.to_owned(),
            kind: InputKind::TerraformSource,
            resource: Some(resource.to_owned()),
            role_arn: None,
            source: Arc::new(JsonSource::empty()),
            base: String::new(),
            unresolved: None,
            broken: None,
            outer: None,
        };
        let span = at;
        let at = span
            .clone()
            .map(|r| self.decls.position(self.file, r.start));
        match policy {
            Policy::Value(value, built, file) => {
                // A document declared in another file is located there,
                // where its fix goes.
                if let Some(other) = self.decls.files.get(file).filter(|_| file != self.file) {
                    other.name.clone_into(&mut doc.path);
                }
                let (text, spans) = self.decls.written(file, built.spans);
                doc.source = Arc::new(JsonSource::from_parts(text, value, spans, Vec::new()));
            }
            Policy::Json(text, offset) => match self.parse_rendered(text) {
                Ok(json) => {
                    let mut json = json.shifted(self.text, offset);
                    resolve_strings(*self, &mut json.value);
                    doc.source = Arc::new(json);
                }
                Err(mut error) => {
                    // Positions in the file, not in the string: the finding
                    // is located at the byte itself.
                    error.offset += offset;
                    (error.line, error.column) =
                        crate::model::source::line_column(self.text, error.offset);
                    doc.broken = Some(error);
                }
            },
            Policy::Embedded(text) => match self.parse_rendered(text) {
                Ok(mut json) => {
                    resolve_strings(*self, &mut json.value);
                    doc.source = Arc::new(json);
                    doc.outer = at;
                }
                Err(error) => {
                    doc.broken = Some(error);
                    doc.outer = at;
                }
            },
            Policy::Unknown(why) => {
                doc.unresolved = Some(why);
                let (text, spans) = self.decls.written(
                    self.file,
                    range(span)
                        .map(|s| HashMap::from([(String::new(), s)]))
                        .unwrap_or_default(),
                );
                doc.source = Arc::new(JsonSource::from_parts(text, Value::Null, spans, Vec::new()));
            }
        }
        doc
    }

    /// JSON text as Terraform renders it: an interpolation where a value
    /// goes (`"key": ${jsonencode(local.x)}`) is the value it names when
    /// the module says it, else the unknown `${...}`; the text and its
    /// positions are the ones written.
    fn parse_rendered(&self, text: String) -> Result<JsonSource, SyntaxError> {
        let Some((filled, interpolations)) = fill_interpolations(&text) else {
            return JsonSource::parse(text);
        };
        let mut json = JsonSource::parse(filled)?;
        self.put_back(&mut json.value, &interpolations);
        json.text = text;
        Ok(json)
    }

    /// Replaces each placeholder of [`fill_interpolations`] in `value`.
    fn put_back(&self, value: &mut Value, interpolations: &[String]) {
        match value {
            Value::String(text) => {
                let Some(written) = placeholder_index(text).and_then(|i| interpolations.get(i))
                else {
                    return;
                };
                *value = self.rendered(written);
            }
            Value::Array(list) => list
                .iter_mut()
                .for_each(|v| self.put_back(v, interpolations)),
            Value::Object(map) => map
                .values_mut()
                .for_each(|v| self.put_back(v, interpolations)),
            _ => {}
        }
    }

    /// The value `${jsonencode(x)}` renders when `x` is known, else the
    /// interpolation as written (unknown).
    fn rendered(&self, written: &str) -> Value {
        let unknown = || Value::String(written.to_owned());
        let Ok(template) = hcl_edit::parser::parse_template(written) else {
            return unknown();
        };
        let Some(Element::Interpolation(interpolation)) = template.iter().next() else {
            return unknown();
        };
        match &interpolation.expr {
            Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
                match call.args.iter().next().map(|arg| self.literal(arg, 1)) {
                    Some(value) => value,
                    None => unknown(),
                }
            }
            _ => unknown(),
        }
    }

    fn policy(&self, expr: &Expression) -> Policy {
        match expr {
            Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => {
                match call.args.iter().next() {
                    Some(arg) => {
                        let mut built = Built::default();
                        let value = self.value(arg, "", &mut built, 0);
                        if value.is_object() {
                            Policy::Value(value, built, self.file)
                        } else {
                            Policy::Unknown(format!(
                                "built from `{}`, which this module does not define",
                                self.source(arg)
                            ))
                        }
                    }
                    None => Policy::Unknown("`jsonencode()` with no argument".to_owned()),
                }
            }
            Expression::HeredocTemplate(heredoc) => match heredoc.template.span() {
                // The heredoc's text stands as written in the file: the
                // policy's positions are the file's.
                Some(r) if self.text.get(r.clone()).is_some() => {
                    let raw = self.text.get(r.clone()).unwrap_or_default();
                    Policy::Json(raw.to_owned(), r.start)
                }
                _ => self.string_policy(expr),
            },
            Expression::StringTemplate(template) => match sole_interpolation(template) {
                Some(inner) => self.policy(inner),
                None => self.string_policy(expr),
            },
            Expression::String(_) => self.string_policy(expr),
            Expression::Parenthesis(inner) => self.policy(inner.inner()),
            Expression::Traversal(_) => self.referenced_policy(expr),
            _ => Policy::Unknown(format!(
                "built by `{}`, which is not read",
                self.source(expr)
            )),
        }
    }

    fn string_policy(&self, expr: &Expression) -> Policy {
        match self.literal(expr, 0) {
            Value::String(text) => Policy::Embedded(text),
            _ => Policy::Unknown(format!("built by `{}`", self.source(expr))),
        }
    }

    fn referenced_policy(&self, expr: &Expression) -> Policy {
        match document_name(expr) {
            Some(name) => match pick(&self.decls.documents, &name, self.file) {
                Some((file, block)) => {
                    let mut built = Built::default();
                    let value = self.decls.at(*file).document(block, &mut built, 0);
                    Policy::Value(value, built, *file)
                }
                None => Policy::Unknown(format!(
                    "from `data.aws_iam_policy_document.{name}`, which this module does not define"
                )),
            },
            None => match self.reference(expr, 0) {
                Some(Value::String(text)) => Policy::Embedded(text),
                _ => Policy::Unknown(format!(
                    "from `{}`, which this module does not resolve",
                    self.source(expr)
                )),
            },
        }
    }
}
/// What an `assume_role_policy` turned out to be.
enum Policy {
    /// Built from HCL, positions in the module's file of this index.
    Value(Value, Built, usize),
    /// JSON text standing at this offset of the file (a heredoc).
    Json(String, usize),
    /// JSON text that is not written as-is in the file (a quoted string).
    Embedded(String),
    /// Not known from the source: why.
    Unknown(String),
}

/// Replaces, in every string of a policy read from a heredoc or string,
/// the `${...}` interpolations the file resolves to a string; the others
/// stay as written.
fn resolve_strings(scope: Scope<'_>, value: &mut Value) {
    match value {
        Value::String(text) if text.contains("${") => {
            if let Ok(template) = hcl_edit::parser::parse_template(text) {
                let mut out = String::new();
                for element in &template {
                    let written = element.span().and_then(|r| text.get(r)).unwrap_or_default();
                    match element {
                        Element::Literal(literal) => out.push_str(literal.value()),
                        Element::Interpolation(i) => match scope.resolved(&i.expr, 0) {
                            Some(Value::String(s)) => out.push_str(&s),
                            _ => out.push_str(written),
                        },
                        Element::Directive(_) => out.push_str(written),
                    }
                }
                *text = out;
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|v| resolve_strings(scope, v)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_strings(scope, v)),
        _ => {}
    }
}

/// The member of `value` that `path` names (attributes and indexes), or
/// `None` when it has none.
fn member<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, step| match value {
        Value::Object(map) => map.get(*step),
        Value::Array(list) => list.get(step.parse::<usize>().ok()?),
        _ => None,
    })
}

/// `text` with each `${...}` written outside a JSON string replaced by a
/// JSON string of the same length that [`placeholder_index`] reads back,
/// and the interpolations in order; `None` when there is none (or one too
/// short to stand in for).
fn fill_interpolations(text: &str) -> Option<(String, Vec<String>)> {
    let mut out = String::with_capacity(text.len());
    let mut found = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            out.push(c);
            continue;
        }
        if c == '$' && text[at..].starts_with("${") {
            let end = at + interpolation_len(&text[at..])?;
            let written = &text[at..end];
            let index = found.len().to_string();
            let pad = written.len().checked_sub(5 + index.len())?;
            out.push_str("\"${");
            out.push_str(&index);
            out.extend(std::iter::repeat_n('~', pad));
            out.push_str("}\"");
            found.push(written.to_owned());
            while chars.peek().is_some_and(|&(next, _)| next < end) {
                chars.next();
            }
            continue;
        }
        in_string = c == '"';
        out.push(c);
    }
    (!found.is_empty()).then_some((out, found))
}

/// The length of the `${...}` that `text` starts with, to the `}` that
/// closes it past any nested `{...}`; `None` when it is not closed.
pub fn interpolation_len(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    text.char_indices()
        .skip(1)
        .find(|&(_, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ => return false,
            }
            depth == 0
        })
        .map(|(end, _)| end + 1)
}

/// The index a placeholder of [`fill_interpolations`] stands for.
fn placeholder_index(text: &str) -> Option<usize> {
    let inner = text.strip_prefix("${")?.strip_suffix('}')?;
    let digits = inner.trim_end_matches('~');
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The name of the policy document `expr` takes the JSON of:
/// `data.aws_iam_policy_document.NAME.json` (or `minified_json`, or of
/// `NAME[0]`, a counted one).
fn document_name(expr: &Expression) -> Option<String> {
    let path = traversal_path(expr)?;
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    match parts.as_slice() {
        [
            "data",
            "aws_iam_policy_document",
            name,
            "json" | "minified_json",
        ]
        | [
            "data",
            "aws_iam_policy_document",
            name,
            "0",
            "json" | "minified_json",
        ] => Some((*name).to_owned()),
        _ => None,
    }
}

/// The expression of a template that is one interpolation and nothing
/// else (`"${x}"`, the way Terraform 0.11 and JSON syntax write `x`).
fn sole_interpolation(template: &hcl_edit::template::StringTemplate) -> Option<&Expression> {
    let mut elements = template.iter();
    match (elements.next(), elements.next()) {
        (Some(Element::Interpolation(interpolation)), None) => Some(&interpolation.expr),
        _ => None,
    }
}

/// `a.b.c` of a traversal or variable, when every step is an attribute.
fn traversal_path(expr: &Expression) -> Option<Vec<String>> {
    match expr {
        Expression::Variable(ident) => Some(vec![ident.as_str().to_owned()]),
        Expression::Traversal(traversal) => {
            let mut path = traversal_path(&traversal.expr)?;
            for operator in &traversal.operators {
                match operator.value() {
                    TraversalOperator::GetAttr(ident) => path.push(ident.as_str().to_owned()),
                    TraversalOperator::Index(Expression::Number(n)) => {
                        path.push(n.value().to_string());
                    }
                    TraversalOperator::LegacyIndex(i) => path.push(i.value().to_string()),
                    _ => return None,
                }
            }
            Some(path)
        }
        _ => None,
    }
}

#[cfg(test)]
mod interpolation_tests {
    use super::*;

    #[test]
    fn an_interpolation_ends_at_its_own_brace_and_placeholders_keep_lengths() {
        assert_eq!(interpolation_len("${var.x} rest"), Some(8));
        assert_eq!(
            interpolation_len(r#"${concat(["${var.o}"], x)}!"#),
            Some(26)
        );
        assert_eq!(interpolation_len("${unclosed"), None);
        let text = r#"{"a": ${jsonencode(local.x)}, "b": "${var.y}"}"#;
        let (filled, found) = fill_interpolations(text).unwrap();
        assert_eq!(filled.len(), text.len());
        // Only the one outside a JSON string is filled.
        assert_eq!(found, ["${jsonencode(local.x)}"]);
        let value: Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(placeholder_index(value["a"].as_str().unwrap()), Some(0));
        assert_eq!(value["b"], "${var.y}");
        // Too short to stand in for: read as it is.
        assert!(fill_interpolations("[${x}]").is_none());
    }
}
