//! TK014 token-subject-form: which issuer family, which `sub` form.

use crate::finding::Finding;
use crate::model::issuers::SubGrammar;
use crate::model::subject::{self, SubjectForm};
use crate::model::token::Jwt;
use crate::rules::TK014;

pub(super) fn check(jwt: &Jwt) -> Option<Finding> {
    let (family, form) = subject::identify(jwt)?;
    let form = form?;
    let what = if form.parts.is_empty() {
        format!("`sub` uses the {} form", form.form)
    } else {
        format!("`sub` uses the {} form: {}", form.form, form.parts_text())
    };
    Some(Finding::new(
        &TK014,
        format!("{} ({}); {what}.", family.name, family.tenancy.describe()),
        help(family.sub_grammar, family.name, &form),
    ))
}

fn help(grammar: SubGrammar, family: &str, form: &SubjectForm) -> String {
    match (grammar, form.form) {
        (_, "not recognised") => format!(
            "This `sub` does not follow the usual {family} grammar. Write trust-policy `sub` \
             conditions against the real value, not the documented default."
        ),
        (SubGrammar::GitHub, "classic") => "Trust policies match this by name. Names can be \
             re-registered after a rename or deletion; GitHub's immutable form \
             (`repo:<owner>@<owner_id>/<repo>@<repo_id>:...`) or a `repository_id` condition pins IDs."
            .to_owned(),
        (SubGrammar::GitHub, "immutable") => "Trust-policy `sub` patterns must use this form too: \
             a pattern written for `repo:<owner>/<repo>:...` does not match `repo:<owner>@<id>/...`."
            .to_owned(),
        (_, "custom template") => format!(
            "A custom `sub` template is in use (claims: {}). Write `sub` conditions for this \
             template; patterns for the default form will not match.",
            form.keys.join(", ")
        ),
        (SubGrammar::UserId, _) => format!(
            "For {family} the `sub` names a user or identity, not a repository; pin the \
             audience (the app or client ID) as well."
        ),
        _ => "Pin `sub` in the trust policy to exactly these segments; use wildcards only \
              for parts that really vary."
            .to_owned(),
    }
}
