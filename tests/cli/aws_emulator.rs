//! The AWS emulator the IAM tests run against: moto's server, which `.ci/run`
//! installs, starts on 127.0.0.1 and names in `AWS_ENDPOINT_URL`. A missing
//! emulator fails the test that needs it, with the reason. Tests never reach
//! beyond 127.0.0.1.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{no_aws_setup, oidc_doctor};

pub const ACCOUNT: &str = "123456789012";

/// A running emulator.
pub struct Moto {
    pub endpoint: String,
}

fn is_local(endpoint: &str) -> bool {
    url::Url::parse(endpoint)
        .is_ok_and(|u| matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")))
}

/// The emulator `.ci/run` (or `scripts/test`) started. A test that needs
/// it and finds none fails with the reason: it never passes by skipping.
pub fn moto() -> Moto {
    let endpoint = std::env::var("OIDC_DOCTOR_TEST_AWS_ENDPOINT")
        .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
        .ok()
        .filter(|e| !e.is_empty());
    match endpoint {
        Some(endpoint) if is_local(&endpoint) => Moto { endpoint },
        Some(endpoint) => panic!(
            "the AWS endpoint for the tests is {endpoint}: tests only talk to 127.0.0.1 (start moto_server locally)"
        ),
        None => panic!(
            "no AWS emulator for this test: run the tests with `scripts/test` (it starts moto_server on \
             127.0.0.1 and sets AWS_ENDPOINT_URL), or start `moto_server -H 127.0.0.1 -p 5000` yourself and \
             export AWS_ENDPOINT_URL=http://127.0.0.1:5000"
        ),
    }
}

/// A name no other test (or earlier run against the same emulator) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let now = jiff::Timestamp::now().as_millisecond();
    format!("{prefix}-{}-{now}-{n}", std::process::id())
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

impl Moto {
    /// An IAM client for seeding the emulator, with its test credentials.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        let credentials =
            aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "tests");
        let config = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .endpoint_url(&self.endpoint)
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    /// Creates an OIDC provider; returns its ARN.
    pub fn create_provider(&self, url: &str, client_ids: &[&str], thumbprints: &[&str]) -> String {
        let iam = self.iam();
        let created = block_on(
            iam.create_open_id_connect_provider()
                .url(url)
                .set_client_id_list(Some(client_ids.iter().map(|s| (*s).to_owned()).collect()))
                .set_thumbprint_list(Some(thumbprints.iter().map(|s| (*s).to_owned()).collect()))
                .send(),
        )
        .expect("CreateOpenIDConnectProvider");
        created
            .open_id_connect_provider_arn()
            .expect("ARN")
            .to_owned()
    }

    /// Creates a provider for `url`, first deleting one an earlier test left
    /// for the same URL (a local issuer's port is reused once it is free).
    pub fn replace_provider(&self, url: &str, client_ids: &[&str], thumbprints: &[&str]) -> String {
        self.delete_provider(url);
        self.create_provider(url, client_ids, thumbprints)
    }

    /// Deletes the provider for `url`, if there is one.
    pub fn delete_provider(&self, url: &str) {
        let name = url.trim_start_matches("https://");
        let arn = format!("arn:aws:iam::{ACCOUNT}:oidc-provider/{name}");
        // Absent is as good as deleted.
        let _gone = block_on(
            self.iam()
                .delete_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .send(),
        );
    }

    /// Creates a role; returns its ARN.
    pub fn create_role(
        &self,
        name: &str,
        path: &str,
        policy: &serde_json::Value,
        max: Option<i32>,
    ) -> String {
        let iam = self.iam();
        let created = block_on(
            iam.create_role()
                .role_name(name)
                .path(path)
                .assume_role_policy_document(policy.to_string())
                .set_max_session_duration(max)
                .send(),
        )
        .expect("CreateRole");
        created.role().expect("role").arn().to_owned()
    }

    /// The binary with credentials for the emulator and nothing else of the
    /// machine's AWS setup.
    pub fn command(&self, dir: &Path) -> assert_cmd::Command {
        let mut cmd = oidc_doctor();
        cmd.env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .envs(no_aws_setup(dir));
        cmd
    }
}

/// A trust policy for `provider` (an ARN) with these conditions.
pub fn trust_policy(provider: &str, condition: &serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": condition,
        }]
    })
}
