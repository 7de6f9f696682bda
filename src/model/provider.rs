//! An IAM OIDC identity provider as `aws iam get-open-id-connect-provider`
//! (or the IAM API) describes it. No I/O.

use serde_json::Value;

/// The parts of an IAM OIDC provider the checks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// The provider URL as IAM stores it (without `https://`).
    pub url: String,
    /// Audiences (client IDs) the provider accepts.
    pub client_ids: Vec<String>,
    pub thumbprints: Vec<String>,
}

impl OidcProvider {
    /// Reads saved `get-open-id-connect-provider` output.
    pub fn from_value(value: &Value) -> Result<OidcProvider, String> {
        let url = value
            .get("Url")
            .and_then(Value::as_str)
            .ok_or("no `Url` field: is this `aws iam get-open-id-connect-provider` output?")?;
        let strings = |field: &str| -> Vec<String> {
            value
                .get(field)
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(OidcProvider {
            url: url.strip_prefix("https://").unwrap_or(url).to_owned(),
            client_ids: strings("ClientIDList"),
            thumbprints: strings("ThumbprintList"),
        })
    }

    /// The provider name: the key prefix of its condition keys.
    pub fn name(&self) -> &str {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cli_output() {
        let provider = OidcProvider::from_value(&serde_json::json!({
            "Url": "token.actions.githubusercontent.com",
            "ClientIDList": ["sts.amazonaws.com"],
            "ThumbprintList": ["6938fd4d98bab03faadb97b34396831e3780aea1"],
            "CreateDate": "2023-01-01T00:00:00Z"
        }))
        .unwrap();
        assert_eq!(provider.name(), "token.actions.githubusercontent.com");
        assert_eq!(provider.client_ids, ["sts.amazonaws.com"]);
        assert!(OidcProvider::from_value(&serde_json::json!({"Role": {}})).is_err());
    }
}
