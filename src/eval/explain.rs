//! What an evaluation found, in enough detail to explain it: per action the
//! decision, per statement whether principal, action and each condition
//! matched, per condition the values compared and, for a failed string
//! comparison, the closest expected value and how it differs.

use crate::model::policy::{Effect, Located, Operator};

pub use super::difference::Mismatch;

/// The result of [`super::evaluate`]: one [`ActionEvaluation`] per action
/// the request needs (`sts:AssumeRoleWithWebIdentity` first).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The federated principal the caller presented.
    pub principal: String,
    pub actions: Vec<ActionEvaluation>,
}

impl Evaluation {
    /// Why the policy refused, in one clause (`: ...`), naming the statement
    /// and the first condition that failed with the values compared. Values
    /// from the token are not escaped here; the output layer does that.
    pub fn refusal_reason(&self) -> String {
        if let Some(statement) = self.refused().and_then(|a| a.deciding_statement()) {
            return format!(": statement {} denies it explicitly", statement.index);
        }
        let Some(candidate) = self.best_candidate() else {
            return ": no statement trusts this provider with this action".to_owned();
        };
        match self.first_failure() {
            Some(failure) => {
                let expected: Vec<&str> =
                    failure.expected.iter().map(|e| e.value.as_str()).collect();
                let why = failure
                    .mismatch
                    .as_ref()
                    .map_or_else(String::new, |m| format!("; {}", m.difference.describe()));
                format!(
                    ": statement {}, `{}` on `{}` expects {}{why}",
                    candidate.index,
                    failure.operator.value,
                    failure.key.value,
                    expected.join(" or ")
                )
            }
            None => format!(": statement {} does not apply", candidate.index),
        }
    }

    /// Whether the policy allows every action of the request.
    pub fn allowed(&self) -> bool {
        !self.actions.is_empty() && self.actions.iter().all(|a| a.decision == Decision::Allowed)
    }

    /// The first action that is not allowed (`None` when all are).
    pub fn refused(&self) -> Option<&ActionEvaluation> {
        self.actions
            .iter()
            .find(|a| a.decision != Decision::Allowed)
    }

    /// The statement that decided: the Deny that refused an action, or, when
    /// everything is allowed, the Allow of the first action. `None` for an
    /// implicit deny (no Allow applied).
    pub fn deciding_statement(&self) -> Option<&StatementResult> {
        match self.refused() {
            Some(refused) => refused.deciding_statement(),
            None => self.actions.first()?.deciding_statement(),
        }
    }

    /// For an implicit deny, the Allow statement that came closest (see
    /// [`ActionEvaluation::best_candidate`]) of the first refused action.
    pub fn best_candidate(&self) -> Option<&StatementResult> {
        self.refused()?.best_candidate()
    }

    /// The first failing condition of the best candidate Allow statement of
    /// the first refused action: what to fix to turn an `AccessDenied` into a
    /// success. `None` when allowed, when a Deny refused, or when no Allow
    /// statement matches both principal and action.
    pub fn first_failure(&self) -> Option<&ConditionResult> {
        self.refused()?.first_failure()
    }
}

/// How IAM decided one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An Allow statement applied and no Deny did.
    Allowed,
    /// A Deny statement applied (it overrides any Allow).
    ExplicitDeny,
    /// No statement applied.
    ImplicitDeny,
}

/// Every statement judged for one action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionEvaluation {
    pub action: String,
    pub decision: Decision,
    /// All statements, in policy order.
    pub statements: Vec<StatementResult>,
}

impl ActionEvaluation {
    /// The first applying Deny for an explicit deny, the first applying Allow
    /// when allowed, `None` for an implicit deny.
    pub fn deciding_statement(&self) -> Option<&StatementResult> {
        let effect = match self.decision {
            Decision::Allowed => Effect::Allow,
            Decision::ExplicitDeny => Effect::Deny,
            Decision::ImplicitDeny => return None,
        };
        self.statements
            .iter()
            .find(|s| s.effect == Some(effect) && s.applies())
    }

    /// The Allow statement whose principal and action match and which has
    /// the most conditions matched (the first one on a tie).
    pub fn best_candidate(&self) -> Option<&StatementResult> {
        let mut best: Option<&StatementResult> = None;
        for statement in &self.statements {
            let candidate = statement.effect == Some(Effect::Allow)
                && statement.principal.matched()
                && statement.action.matched();
            if candidate
                && best.is_none_or(|b| statement.conditions_matched() > b.conditions_matched())
            {
                best = Some(statement);
            }
        }
        best
    }

    /// The first failing condition of [`ActionEvaluation::best_candidate`],
    /// for an implicit deny.
    pub fn first_failure(&self) -> Option<&ConditionResult> {
        if self.decision != Decision::ImplicitDeny {
            return None;
        }
        self.best_candidate()?
            .conditions
            .iter()
            .find(|c| !c.matched)
    }
}

/// One statement judged against the request.
#[derive(Debug, Clone, PartialEq)]
pub struct StatementResult {
    /// The statement's position in the policy's `Statement` list.
    pub index: usize,
    /// The statement's JSON pointer.
    pub pointer: String,
    pub sid: Option<String>,
    /// `None` when the statement's `Effect` is invalid: it never applies.
    pub effect: Option<Effect>,
    pub principal: ElementMatch,
    pub action: ElementMatch,
    /// Every condition, in policy order.
    pub conditions: Vec<ConditionResult>,
}

impl StatementResult {
    /// Whether the statement applies: principal, action and every condition match.
    pub fn applies(&self) -> bool {
        self.effect.is_some()
            && self.principal.matched()
            && self.action.matched()
            && self.conditions.iter().all(|c| c.matched)
    }

    /// How many of its conditions are true.
    pub fn conditions_matched(&self) -> usize {
        self.conditions.iter().filter(|c| c.matched).count()
    }
}

/// How a statement's principal (or action) element judged the request's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementMatch {
    /// `Principal`/`Action` lists it; the pointer of the value that matched.
    Listed { pointer: String },
    /// `Principal`/`Action` does not list it.
    NotListed,
    /// `NotPrincipal`/`NotAction` does not name it, so the statement applies.
    /// `list_known` is false when the excluded names were not available
    /// (evaluated from a [`crate::model::policy::Policy`] without its
    /// document): the caller is then taken as not excluded.
    NotExcluded { pointer: String, list_known: bool },
    /// `NotPrincipal`/`NotAction` names it, so the statement does not apply.
    Excluded { pointer: String },
    /// The statement has no such element.
    Missing,
}

impl ElementMatch {
    pub fn matched(&self) -> bool {
        matches!(
            self,
            ElementMatch::Listed { .. } | ElementMatch::NotExcluded { .. }
        )
    }
}

/// One condition (one key under one operator) judged against the context.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionResult {
    /// The operator as written, with its pointer.
    pub operator: Located<String>,
    /// The parsed operator (`None` when not in IAM's grammar).
    pub parsed: Option<Operator>,
    /// The condition key as written, with its pointer (`Condition.key.pointer`).
    pub key: Located<String>,
    /// The policy's values in string form, with their pointers.
    pub expected: Vec<Located<String>>,
    /// The context's values for the key; `None` when the key is absent.
    pub actual: Option<Vec<String>>,
    pub matched: bool,
    /// Why it is true or false.
    pub outcome: Outcome,
    /// For a failed comparison: the closest expected value and the difference.
    pub mismatch: Option<Mismatch>,
}

/// Why a condition is true or false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// True: the values compared true (or `Null` found the key as asked).
    Matched,
    /// True only because the key is absent and the operator ends in `IfExists`.
    AbsentIfExists,
    /// True only because the key is absent or empty under `ForAllValues:`.
    VacuousForAllValues,
    /// True only because the key is absent and the operator is negated.
    AbsentNegated,
    /// False: the key is absent (or has no values).
    KeyAbsent,
    /// False: the values were compared and did not match.
    NotMatched,
    /// False: a value is not of the operator's type (`expected`: "number"...).
    Unparseable {
        value: String,
        expected: &'static str,
    },
    /// False: the operator is not in IAM's grammar (IAM rejects the policy).
    UnknownOperator,
}

impl Outcome {
    /// Whether the condition is true.
    pub fn is_true(&self) -> bool {
        matches!(
            self,
            Outcome::Matched
                | Outcome::AbsentIfExists
                | Outcome::VacuousForAllValues
                | Outcome::AbsentNegated
        )
    }

    /// True without any value compared: the condition protects nothing here.
    pub fn is_fail_open(&self) -> bool {
        self.is_true() && *self != Outcome::Matched
    }
}
