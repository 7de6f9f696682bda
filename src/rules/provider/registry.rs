//! PV001: which IAM OIDC provider STS will use for a token, and when there
//! is none, the one the user probably meant and how it differs.

use crate::finding::Finding;
use crate::model::arn::Arn;
use crate::model::issuers::provider_name;
use crate::rules::PV001;

/// A provider as `ListOpenIDConnectProviders` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedProvider {
    pub arn: String,
    pub account: String,
    /// The URL without `https://` (the part after `oidc-provider/`).
    pub name: String,
}

impl ListedProvider {
    pub fn from_arn(arn: &str) -> Option<ListedProvider> {
        let parsed = Arn::parse(arn)?;
        Some(ListedProvider {
            arn: arn.to_owned(),
            account: parsed.account.to_owned(),
            name: parsed.resource.strip_prefix("oidc-provider/")?.to_owned(),
        })
    }
}

/// How the nearest provider differs from the token's issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NearMiss {
    TrailingSlash,
    Case,
    /// Same host, another path (a GitHub enterprise slug, `CircleCI`'s org).
    Path,
    /// `vstoken.actions.githubusercontent.com` against `token.`.
    LegacyGithubHost,
    /// Another EKS cluster id in the same region: a rebuilt cluster.
    OtherEksCluster,
    /// The provider is right but lives in another account than the role.
    OtherAccount {
        role_account: String,
    },
    /// Nothing closer than a similar name.
    Similar,
}

impl NearMiss {
    fn describe(&self, listed: &ListedProvider) -> String {
        match self {
            NearMiss::TrailingSlash => "differs only in the trailing `/` (STS compares exactly)".to_owned(),
            NearMiss::Case => "differs only in case (the URL is case-sensitive)".to_owned(),
            NearMiss::Path => "has the same host and another path (an enterprise slug, an organisation id, `/` vs none)".to_owned(),
            NearMiss::LegacyGithubHost => "is the other GitHub Actions host (`vstoken.` is the retired one)".to_owned(),
            NearMiss::OtherEksCluster => "is another EKS cluster of the same region: was the cluster rebuilt?".to_owned(),
            NearMiss::OtherAccount { role_account } => format!(
                "is in account {}, but the role is in account {role_account}, and STS looks in the role's account",
                listed.account
            ),
            NearMiss::Similar => "is the most similar name".to_owned(),
        }
    }
}

/// A kind of near miss and the test that recognises it in a listed name.
type NameCheck<'a> = (NearMiss, &'a dyn Fn(&str) -> bool);

/// The outcome of looking the issuer up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(ListedProvider),
    Nearest(ListedProvider, NearMiss),
    None,
}

/// Finds the provider STS would use for `iss`, in `role_account` when known
/// (else in any account listed).
pub fn lookup(iss: &str, listed: &[ListedProvider], role_account: Option<&str>) -> Lookup {
    let name = provider_name(iss);
    let in_account = |p: &&ListedProvider| role_account.is_none_or(|a| p.account == a);
    if let Some(found) = listed.iter().filter(in_account).find(|p| p.name == name) {
        return Lookup::Found(found.clone());
    }
    if let (Some(elsewhere), Some(role_account)) =
        (listed.iter().find(|p| p.name == name), role_account)
    {
        return Lookup::Nearest(
            elsewhere.clone(),
            NearMiss::OtherAccount {
                role_account: role_account.to_owned(),
            },
        );
    }
    let candidates: Vec<&ListedProvider> = listed.iter().filter(in_account).collect();
    let host = |n: &str| n.split('/').next().unwrap_or_default().to_ascii_lowercase();
    let checks: [NameCheck<'_>; 5] = [
        (NearMiss::TrailingSlash, &|p: &str| {
            p.trim_end_matches('/') == name.trim_end_matches('/')
        }),
        (NearMiss::Case, &|p: &str| p.eq_ignore_ascii_case(name)),
        (NearMiss::LegacyGithubHost, &|p: &str| {
            let swap = |n: &str| n.replacen("vstoken.actions.", "token.actions.", 1);
            swap(p) == swap(name)
        }),
        (NearMiss::OtherEksCluster, &|p: &str| {
            let region = |n: &str| {
                n.strip_prefix("oidc.eks.")
                    .and_then(|rest| rest.split_once(".amazonaws.com/id/"))
                    .map(|(region, _)| region.to_owned())
            };
            region(p).is_some() && region(p) == region(name)
        }),
        (NearMiss::Path, &|p: &str| host(p) == host(name)),
    ];
    for (miss, check) in checks {
        if let Some(found) = candidates.iter().find(|p| check(&p.name)) {
            return Lookup::Nearest((*found).clone(), miss);
        }
    }
    candidates
        .iter()
        .map(|p| (strsim::levenshtein(&p.name, name), *p))
        .filter(|(distance, _)| *distance <= name.len() / 3)
        .min_by_key(|(distance, _)| *distance)
        .map_or(Lookup::None, |(_, p)| {
            Lookup::Nearest(p.clone(), NearMiss::Similar)
        })
}

/// PV001 for a lookup that found no exact provider.
pub fn not_found(
    iss: &str,
    lookup: &Lookup,
    listed: usize,
    account: Option<&str>,
) -> Option<Finding> {
    let name = provider_name(iss);
    let place = account.map_or_else(|| "the account".to_owned(), |a| format!("account {a}"));
    let (nearest, help) = match lookup {
        Lookup::Found(_) => return None,
        Lookup::Nearest(listed, miss) => (
            format!(
                " The nearest, `{}`, {}.",
                listed.name,
                miss.describe(listed)
            ),
            match miss {
                NearMiss::OtherAccount { .. } => format!(
                    "Create the provider in the role's account (`aws iam create-open-id-connect-provider --url {iss} \
                     --client-id-list sts.amazonaws.com`), or use a role in account {}.",
                    listed.account
                ),
                _ => format!(
                    "Create a provider whose URL is exactly the token's `iss` (`aws iam create-open-id-connect-provider \
                     --url {iss} --client-id-list sts.amazonaws.com`), or mint tokens from the issuer that is registered \
                     (`{}`), and trust that provider's ARN in the role.",
                    listed.name
                ),
            },
        ),
        Lookup::None => (
            String::new(),
            format!(
                "Create it: `aws iam create-open-id-connect-provider --url {iss} --client-id-list sts.amazonaws.com`, \
                 in the role's account."
            ),
        ),
    };
    Some(Finding::new(
        &PV001,
        format!(
            "No IAM OIDC provider in {place} has the URL `{name}` ({listed} listed): STS answers \
             `No OpenIDConnect provider found in your account for {iss}`.{nearest}"
        ),
        help,
    ))
}

/// PV001 for a saved provider (`--provider-json`) whose URL is not the
/// token's issuer: STS would not use it for this token. Near misses are
/// named as for a listed provider.
pub fn saved_for_other_issuer(
    provider: &crate::model::provider::OidcProvider,
    jwt: &crate::model::token::Jwt,
    source: &str,
) -> Option<Finding> {
    let iss = jwt.claim_str("iss")?;
    if provider_name(iss) == provider.url {
        return None;
    }
    let listed = ListedProvider {
        arn: format!("(the provider in {source})"),
        account: String::new(),
        name: provider.url.clone(),
    };
    let lookup = match lookup(iss, std::slice::from_ref(&listed), None) {
        // Not even alike: say what the file holds.
        Lookup::None => Lookup::Nearest(listed, NearMiss::Similar),
        other => other,
    };
    not_found(iss, &lookup, 1, None).map(|mut finding| {
        finding.message = finding
            .message
            .replacen("in the account", &format!("in {source}"), 1);
        finding
    })
}

/// PV001 for a role that trusts a provider the account does not have
/// (IAM answered `NoSuchEntity` for it).
pub fn trusted_provider_missing(role_arn: &str, provider_arn: &str, why: &str) -> Finding {
    let mut finding = Finding::new(
        &PV001,
        format!(
            "{role_arn} trusts `{provider_arn}`, which could not be read ({why}): no token from it can assume the role."
        ),
        "Create the provider (`aws iam create-open-id-connect-provider`) or trust the ARN of one that exists \
         (`aws iam list-open-id-connect-providers`).",
    );
    finding.location = Some(crate::finding::Location {
        path: role_arn.to_owned(),
        line: 1,
        column: 1,
        pointer: String::new(),
        resource: None,
        span: None,
        source: None,
        in_file: None,
    });
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(names: &[&str]) -> Vec<ListedProvider> {
        names
            .iter()
            .map(|n| {
                ListedProvider::from_arn(&format!("arn:aws:iam::123456789012:oidc-provider/{n}"))
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn the_exact_provider_is_found() {
        let providers = listed(&["gitlab.com", "token.actions.githubusercontent.com"]);
        let found = lookup(
            "https://token.actions.githubusercontent.com",
            &providers,
            Some("123456789012"),
        );
        assert!(
            matches!(found, Lookup::Found(p) if p.name == "token.actions.githubusercontent.com")
        );
    }

    #[test]
    fn each_near_miss_is_named() {
        let cases = [
            (
                "https://auth.example.com/",
                "auth.example.com",
                NearMiss::TrailingSlash,
            ),
            (
                "https://Auth.Example.com",
                "auth.example.com",
                NearMiss::Case,
            ),
            (
                "https://token.actions.githubusercontent.com/acme",
                "token.actions.githubusercontent.com",
                NearMiss::Path,
            ),
            (
                "https://vstoken.actions.githubusercontent.com",
                "token.actions.githubusercontent.com",
                NearMiss::LegacyGithubHost,
            ),
            (
                "https://oidc.eks.eu-west-1.amazonaws.com/id/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "oidc.eks.eu-west-1.amazonaws.com/id/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
                NearMiss::OtherEksCluster,
            ),
        ];
        for (iss, registered, expected) in cases {
            let providers = listed(&[registered, "gitlab.com"]);
            match lookup(iss, &providers, None) {
                Lookup::Nearest(p, miss) => {
                    assert_eq!((p.name.as_str(), miss), (registered, expected), "{iss}");
                }
                other => panic!("{iss}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_provider_in_another_account_is_named_as_such() {
        let providers = listed(&["gitlab.com"]);
        let found = lookup("https://gitlab.com", &providers, Some("210987654321"));
        let Lookup::Nearest(p, miss) = &found else {
            panic!("{found:?}")
        };
        assert_eq!(
            miss,
            &NearMiss::OtherAccount {
                role_account: "210987654321".into()
            }
        );
        let finding = not_found("https://gitlab.com", &found, 1, Some("210987654321")).unwrap();
        assert!(
            finding.message.contains("account 123456789012"),
            "{}",
            finding.message
        );
        assert_eq!(p.account, "123456789012");
    }

    #[test]
    fn nothing_alike_is_a_plain_not_found() {
        let providers = listed(&["gitlab.com"]);
        let found = lookup(
            "https://token.actions.githubusercontent.com",
            &providers,
            None,
        );
        assert_eq!(found, Lookup::None);
        let finding = not_found(
            "https://token.actions.githubusercontent.com",
            &found,
            1,
            None,
        )
        .unwrap();
        assert!(finding.message.contains("No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"));
    }
}
