//! The credential cache of `assume --cache`: one file per role, session
//! name, duration and token identity (a hash of `iss`, `sub` and `aud`), so
//! that parallel jobs that present the same identity share one STS call.
//!
//! A lock file per entry, held with an advisory lock while STS is called,
//! makes N concurrent invocations wait for the first: it calls STS, the rest
//! read what it wrote. Entries are written to a temporary file (mode 0600)
//! and renamed into place, so a reader never sees half a file; one that is
//! unreadable anyway is ignored and replaced, never fatal.
//!
//! A run that ends without credentials leaves a failure record beside the
//! entry (`<stem>.failure`, written through the held lock like the entry):
//! the runs that waited on the lock read it and make one attempt of their
//! own instead of a whole ladder. A success removes it; it speaks only for
//! [`FAILURE_WINDOW`] after it was written.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::error::Error;
use crate::model::aws::{Assumed, Credentials, Secret};

/// Entries are reused until this long before the credentials expire.
pub const REUSE_MARGIN: Duration = Duration::from_mins(5);
/// How often a waiting process looks at the lock again.
const POLL: Duration = Duration::from_millis(25);
const FORMAT_VERSION: u64 = 1;
/// A failure record speaks for this long after it is written: long enough
/// for the runs that waited on the lock meanwhile (each one whose own
/// attempt fails writes it again), short enough that a run started later
/// makes its own whole ladder.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(10);
/// A failure record is a few hundred bytes; anything larger is not one.
const MAX_FAILURE_BYTES: usize = 8 * 1024;
/// The largest credential entry read: STS's session tokens are at most a
/// few kilobytes.
const MAX_ENTRY_BYTES: usize = 64 * 1024;
/// The most characters of STS's answer and of the stop reason recorded.
const MAX_RECORDED_CHARS: usize = 1_000;

/// What an entry is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    pub role_arn: String,
    pub session_name: String,
    pub duration: Option<i32>,
    /// The token's identity: [`CacheKey::identity`] of its claims.
    pub identity: String,
}

/// Claims that change from one token to the next of the same identity.
const PER_TOKEN_CLAIMS: [&str; 4] = ["iat", "nbf", "exp", "jti"];

impl CacheKey {
    /// Every claim but the per-token ones (times, `jti`), keys sorted: two
    /// tokens share an entry only when they say the same about who presents
    /// them (`iss`, `sub`, `aud`, and `job_workflow_ref`, `environment`,
    /// `actor`... where the issuer adds them).
    pub fn identity(claims: &serde_json::Map<String, Value>) -> String {
        let kept: std::collections::BTreeMap<&String, &Value> = claims
            .iter()
            .filter(|(name, _)| !PER_TOKEN_CLAIMS.contains(&name.as_str()))
            .collect();
        serde_json::to_string(&kept).unwrap_or_default()
    }

    /// The file name stem: SHA-256 over the role, session, duration and a
    /// SHA-256 of the token identity, in hex. Names nothing by itself.
    pub fn file_stem(&self) -> String {
        let identity = sha256_hex(&[&self.identity]);
        let duration = self.duration.map_or_else(String::new, |d| d.to_string());
        sha256_hex(&[&self.role_arn, &self.session_name, &duration, &identity])
    }
}

fn sha256_hex(parts: &[&str]) -> String {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for part in parts {
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        context.update(&(part.len() as u64).to_be_bytes());
        context.update(part.as_bytes());
    }
    crate::model::lower_hex(context.finish().as_ref())
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct CredentialCache {
    dir: PathBuf,
}

/// An entry that was found but not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    Absent,
    /// Expires within [`REUSE_MARGIN`] (or has expired).
    Stale(Timestamp),
    /// Not a cache entry this version can read: replaced.
    Unreadable(String),
}

/// How a run that got no credentials ended, as the runs after it read it.
/// Never a secret: the class's code, STS's answer in short, the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRecord {
    /// When it was written.
    pub at: Timestamp,
    /// The attempts that run made.
    pub attempts: u32,
    /// The AS code of its last answer.
    pub code: String,
    /// Its last answer, as attempts list it.
    pub answer: String,
    /// Why it stopped, in words.
    pub stopped: String,
}

/// The held lock of one entry: read it, and write it before letting go.
#[derive(Debug)]
pub struct Locked {
    lock: File,
    entry: PathBuf,
    /// The failure record beside the entry.
    failure: PathBuf,
    /// The file name stem: what a failure record names its entry by.
    stem: String,
    dir: PathBuf,
    /// How long the lock took to get (another process held it).
    pub waited: Duration,
}

impl CredentialCache {
    /// `dir`, or the user's cache directory (`$XDG_CACHE_HOME/oidc-doctor`,
    /// `~/.cache/oidc-doctor`, `~/Library/Caches/oidc-doctor`), created with
    /// mode 0700.
    pub fn open(dir: Option<PathBuf>) -> Result<Self, Error> {
        let dir = match dir {
            Some(dir) => dir,
            None => dirs::cache_dir()
                .ok_or_else(|| Error::Environment {
                    message: "there is no user cache directory (no HOME)".to_owned(),
                    help: "give one: `--cache-dir DIR`".to_owned(),
                })?
                .join("oidc-doctor")
                .join("credentials"),
        };
        create_private_dir(&dir)?;
        Ok(CredentialCache { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the entry's lock, waiting for another process up to `timeout`;
    /// `Ok(None)` when that process still holds it then.
    pub fn lock(&self, key: &CacheKey, timeout: Duration) -> Result<Option<Locked>, Error> {
        let stem = key.file_stem();
        let lock_path = self.dir.join(format!("{stem}.lock"));
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        // A lock file planted as a link must not make the tool create or
        // write the link's target.
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.custom_flags(libc::O_NOFOLLOW).mode(0o600);
        }
        let lock = options
            .open(&lock_path)
            .map_err(|source| unwritable(&lock_path, source))?;
        let started = Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if started.elapsed() < timeout => {
                    std::thread::sleep(POLL);
                }
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(source)) => return Err(unwritable(&lock_path, source)),
            }
        }
        Ok(Some(Locked {
            lock,
            entry: self.dir.join(format!("{stem}.json")),
            failure: self.dir.join(format!("{stem}.failure")),
            stem,
            dir: self.dir.clone(),
            waited: started.elapsed(),
        }))
    }
}

impl Locked {
    /// The cached credentials when they are good for at least
    /// [`REUSE_MARGIN`] more; otherwise why not.
    pub fn read(&self, now: Timestamp) -> Result<Assumed, Miss> {
        if let Some(why) = foreign(&self.entry) {
            return Err(Miss::Unreadable(why));
        }
        let file = match fs::File::open(&self.entry) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Err(Miss::Absent),
            Err(error) => return Err(Miss::Unreadable(error.to_string())),
        };
        // An entry is a few kilobytes; a bigger file is not one of ours.
        let mut text = String::new();
        file.take(MAX_ENTRY_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|error| Miss::Unreadable(error.to_string()))?;
        if text.len() > MAX_ENTRY_BYTES {
            return Err(Miss::Unreadable(format!(
                "larger than {MAX_ENTRY_BYTES} bytes"
            )));
        }
        let assumed = parse_entry(&text).map_err(Miss::Unreadable)?;
        let margin = jiff::SignedDuration::try_from(REUSE_MARGIN).unwrap_or_default();
        match now.checked_add(margin) {
            Ok(limit) if assumed.credentials.expiration > limit => Ok(assumed),
            _ => Err(Miss::Stale(assumed.credentials.expiration)),
        }
    }

    /// Writes the entry atomically (temporary file, mode 0600, renamed),
    /// and removes the failure record: the credentials speak for the role now.
    pub fn write(&self, assumed: &Assumed) -> Result<(), Error> {
        self.replace(&self.entry, &entry_json(assumed).to_string())?;
        // A record left behind is read only on a miss, and only within
        // FAILURE_WINDOW: it cannot outlive the window by mistake.
        let _ = self.clear_failure();
        Ok(())
    }

    /// The failure a parallel run recorded less than [`FAILURE_WINDOW`]
    /// before `now`; `None` when there is none, or none this version can
    /// trust (another user's, a link, oversized, corrupt, of another entry).
    pub fn read_failure(&self, now: Timestamp) -> Option<FailureRecord> {
        foreign(&self.failure).is_none().then_some(())?;
        let input = crate::net::input::Input {
            what: "failure record",
            limit: MAX_FAILURE_BYTES,
            help: "",
            too_large: "",
        };
        let bytes = crate::net::input::read_file(&self.failure, &input).ok()?;
        let record = parse_failure(&bytes, &self.stem)?;
        let age = now.duration_since(record.at);
        let window = jiff::SignedDuration::try_from(FAILURE_WINDOW).ok()?;
        // A record from the future is not one this clock can judge.
        (age >= jiff::SignedDuration::ZERO && age < window).then_some(record)
    }

    /// Records how this run failed, atomically like the entry; the time is
    /// `record.at`.
    pub fn write_failure(&self, record: &FailureRecord) -> Result<(), Error> {
        let text = json!({
            "version": FORMAT_VERSION,
            "entry": self.stem,
            "at": record.at.to_string(),
            "attempts": record.attempts,
            "code": record.code,
            "answer": cut(&record.answer),
            "stopped": cut(&record.stopped),
        });
        self.replace(&self.failure, &text.to_string())
    }

    /// Removes the failure record (there may be none).
    pub fn clear_failure(&self) -> Result<(), Error> {
        match fs::remove_file(&self.failure) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(unwritable(&self.failure, error))
            }
            _ => Ok(()),
        }
    }

    /// Writes `path` atomically: a temporary file, mode 0600, renamed.
    fn replace(&self, path: &Path, text: &str) -> Result<(), Error> {
        let mut file =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(|e| unwritable(&self.dir, e))?;
        restrict(file.as_file(), path)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.as_file().sync_all())
            .map_err(|e| unwritable(path, e))?;
        file.persist(path).map_err(|e| unwritable(path, e.error))?;
        Ok(())
    }
}

/// At most [`MAX_RECORDED_CHARS`] characters of `text`.
fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_RECORDED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Reads a failure record of the entry `stem`; `None` when it is not one.
fn parse_failure(bytes: &[u8], stem: &str) -> Option<FailureRecord> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    if value.get("version").and_then(Value::as_u64) != Some(FORMAT_VERSION)
        || value.get("entry").and_then(Value::as_str) != Some(stem)
    {
        return None;
    }
    let text = |name: &str| value.get(name).and_then(Value::as_str).map(cut);
    Some(FailureRecord {
        at: text("at")?.parse().ok()?,
        attempts: value
            .get("attempts")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n >= 1)?,
        code: text("code")?,
        answer: text("answer")?,
        stopped: text("stopped")?,
    })
}

impl Drop for Locked {
    fn drop(&mut self) {
        // Closing the file releases the lock too; this is only sooner.
        let _ = self.lock.unlock();
    }
}

fn entry_json(assumed: &Assumed) -> Value {
    let c = &assumed.credentials;
    json!({
        "version": FORMAT_VERSION,
        "assumed_role_arn": assumed.assumed_role_arn,
        "subject": assumed.subject,
        "audience": assumed.audience,
        "provider": assumed.provider,
        "access_key_id": c.access_key_id.expose(),
        "secret_access_key": c.secret_access_key.expose(),
        "session_token": c.session_token.expose(),
        "expiration": c.expiration.to_string(),
    })
}

/// Reads a cache entry; `Err` says why it is not one this version can use.
pub fn parse_entry(text: &str) -> Result<Assumed, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON ({e})"))?;
    if value.get("version").and_then(Value::as_u64) != Some(FORMAT_VERSION) {
        return Err("written by another version".to_owned());
    }
    let text_of = |name: &str| -> Result<String, String> {
        value
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("no `{name}`"))
    };
    let optional = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let credential = |name: &str| -> Result<Secret, String> {
        let value = text_of(name)?;
        // What an export would write must be what STS could have sent.
        if !crate::model::aws::usable_credential(&value) {
            return Err(format!("`{name}` is empty or holds a control character"));
        }
        Ok(Secret::new(value))
    };
    let expiration = text_of("expiration")?
        .parse::<Timestamp>()
        .map_err(|e| format!("bad `expiration` ({e})"))?;
    Ok(Assumed {
        assumed_role_arn: optional("assumed_role_arn"),
        subject: optional("subject"),
        audience: optional("audience"),
        provider: optional("provider"),
        credentials: Credentials {
            access_key_id: credential("access_key_id")?,
            secret_access_key: credential("secret_access_key")?,
            session_token: credential("session_token")?,
            expiration,
        },
    })
}

fn unwritable(path: &Path, source: std::io::Error) -> Error {
    Error::Unreadable {
        what: "credential cache",
        path: path.to_owned(),
        source,
        help: "--cache needs a directory this user can write; give another with `--cache-dir DIR`"
            .to_owned(),
    }
}

/// The user this process runs as: the owner of a file it creates.
#[cfg(unix)]
fn own_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    tempfile::tempfile().ok()?.metadata().ok().map(|m| m.uid())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| unwritable(dir, e))?;
    // Entries are mode 0600 whatever the directory; but where others may
    // create or replace files, they could plant an entry with their own
    // credentials: the directory must be ours, not a symlink, and closed to
    // others' writes.
    let metadata = fs::symlink_metadata(dir).map_err(|e| unwritable(dir, e))?;
    let refuse = |why: String| Error::Usage {
        message: format!(
            "the cache directory `{}` {why}: others could plant credentials in it",
            dir.display()
        ),
        help: "use a directory of your own that only you can write (`--cache` alone picks one)"
            .to_owned(),
    };
    if !metadata.is_dir() {
        return Err(refuse("is a symbolic link".to_owned()));
    }
    if own_uid().is_some_and(|uid| uid != metadata.uid()) {
        return Err(refuse(format!(
            "belongs to another user (uid {})",
            metadata.uid()
        )));
    }
    let mode = metadata.mode();
    if mode & 0o022 != 0 {
        return Err(refuse(format!(
            "can be written by other users (mode {:o})",
            mode & 0o7777
        )));
    }
    Ok(())
}

/// Why an existing entry is not to be trusted: a symlink, or a file of
/// another user. `None` when it is ours (or absent).
#[cfg(unix)]
fn foreign(entry: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = fs::symlink_metadata(entry).ok()?;
    if !metadata.is_file() {
        return Some("it is not a regular file".to_owned());
    }
    let uid = own_uid()?;
    (metadata.uid() != uid).then(|| format!("it belongs to another user (uid {})", metadata.uid()))
}

#[cfg(not(unix))]
fn foreign(_entry: &Path) -> Option<String> {
    None
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))
}

#[cfg(unix)]
fn restrict(file: &File, path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(|e| unwritable(path, e))
}

#[cfg(not(unix))]
fn restrict(_file: &File, _path: &Path) -> Result<(), Error> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sub: &str) -> serde_json::Map<String, Value> {
        let value = json!({"iss": "https://token.actions.githubusercontent.com", "sub": sub,
            "aud": "sts.amazonaws.com", "job_workflow_ref": "acme/app/.github/workflows/deploy.yml@refs/heads/main",
            "iat": 1, "exp": 2, "jti": "a"});
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_identity_leaves_out_only_the_per_token_claims() {
        let mut other_token = claims("repo:acme/app:ref:refs/heads/main");
        other_token.insert("iat".into(), json!(100));
        other_token.insert("exp".into(), json!(200));
        other_token.insert("jti".into(), json!("b"));
        let base = CacheKey::identity(&claims("repo:acme/app:ref:refs/heads/main"));
        assert_eq!(CacheKey::identity(&other_token), base);
        let mut other_workflow = other_token.clone();
        other_workflow.insert(
            "job_workflow_ref".into(),
            json!("acme/app/.github/workflows/evil.yml@refs/heads/main"),
        );
        assert_ne!(CacheKey::identity(&other_workflow), base);
    }

    /// The test key's entry, locked, in a new cache under `dir`.
    fn locked_in(dir: &Path) -> Locked {
        let cache = CredentialCache::open(Some(dir.join("c"))).unwrap();
        cache.lock(&key(), Duration::from_secs(1)).unwrap().unwrap()
    }

    /// A fixed "now", and an hour after it.
    fn now_and_an_hour_later() -> (Timestamp, Timestamp) {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        (
            now,
            now.checked_add(jiff::SignedDuration::from_secs(3600))
                .unwrap(),
        )
    }

    fn key() -> CacheKey {
        CacheKey {
            role_arn: "arn:aws:iam::123456789012:role/deploy".into(),
            session_name: "ci".into(),
            duration: Some(900),
            identity: CacheKey::identity(&claims("repo:acme/app:ref:refs/heads/main")),
        }
    }

    fn assumed(expiration: Timestamp) -> Assumed {
        Assumed {
            assumed_role_arn: Some("arn:aws:sts::123456789012:assumed-role/deploy/ci".into()),
            subject: Some("repo:acme/app:ref:refs/heads/main".into()),
            audience: Some("sts.amazonaws.com".into()),
            provider: None,
            credentials: Credentials {
                access_key_id: Secret::new("ASIAEXAMPLEEXAMPLE"),
                secret_access_key: Secret::new("secret"),
                session_token: Secret::new("token"),
                expiration,
            },
        }
    }

    #[test]
    fn every_part_of_the_key_changes_the_file() {
        let base = key().file_stem();
        assert_eq!(base.len(), 64);
        let variants = [
            CacheKey {
                role_arn: "arn:aws:iam::123456789012:role/other".into(),
                ..key()
            },
            CacheKey {
                session_name: "c".into(),
                ..key()
            },
            CacheKey {
                duration: None,
                ..key()
            },
            CacheKey {
                identity: CacheKey::identity(&claims("repo:acme/app:ref:refs/heads/dev")),
                ..key()
            },
        ];
        for variant in variants {
            assert_ne!(variant.file_stem(), base, "{variant:?}");
        }
    }

    #[test]
    fn an_entry_is_reused_until_five_minutes_before_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let (now, later) = now_and_an_hour_later();
        let locked = locked_in(dir.path());
        assert_eq!(locked.read(now), Err(Miss::Absent));
        locked.write(&assumed(later)).unwrap();
        assert_eq!(
            locked.read(now).unwrap().credentials.session_token.expose(),
            "token"
        );
        let close = later
            .checked_sub(jiff::SignedDuration::from_secs(299))
            .unwrap();
        assert_eq!(locked.read(close), Err(Miss::Stale(later)));
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let error = CredentialCache::open(Some(dir.path().to_owned())).unwrap_err();
        assert!(
            error.to_string().contains("can be written by other users"),
            "{error}"
        );
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        assert!(CredentialCache::open(Some(dir.path().to_owned())).is_ok());
    }

    /// Another user's directory, or an entry another user wrote, is never
    /// trusted. Making files of another user needs root (CI runs as root);
    /// otherwise the files are our own and must be accepted.
    #[cfg(unix)]
    #[test]
    fn another_users_directory_or_entry_is_refused() {
        use std::os::unix::fs::chown;
        let dir = tempfile::tempdir().unwrap();
        let theirs = dir.path().join("theirs");
        fs::create_dir(&theirs).unwrap();
        let as_root = own_uid() == Some(0);
        if as_root {
            chown(&theirs, Some(65_534), Some(65_534)).unwrap();
            let error = CredentialCache::open(Some(theirs.clone())).unwrap_err();
            assert!(
                error.to_string().contains("belongs to another user"),
                "{error}"
            );
        } else {
            assert!(CredentialCache::open(Some(theirs.clone())).is_ok());
        }
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("mine"), &link).unwrap();
        fs::create_dir(dir.path().join("mine")).unwrap();
        let error = CredentialCache::open(Some(link)).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");

        let cache = CredentialCache::open(Some(dir.path().join("own"))).unwrap();
        let locked = cache.lock(&key(), Duration::from_secs(1)).unwrap().unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let later = now
            .checked_add(jiff::SignedDuration::from_secs(3600))
            .unwrap();
        locked.write(&assumed(later)).unwrap();
        if as_root {
            chown(&locked.entry, Some(65_534), Some(65_534)).unwrap();
            assert!(
                matches!(locked.read(now), Err(Miss::Unreadable(why)) if why.contains("another user"))
            );
        } else {
            assert!(locked.read(now).is_ok());
        }
    }

    #[cfg(unix)]
    #[test]
    fn entries_are_private_and_corrupt_ones_are_replaced() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::open(Some(dir.path().join("c"))).unwrap();
        let dir_mode = fs::metadata(cache.dir()).unwrap().permissions().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let locked = cache.lock(&key(), Duration::from_secs(1)).unwrap().unwrap();
        fs::write(&locked.entry, "{\"version\": 1, \"access_key_id\": ").unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        assert!(matches!(locked.read(now), Err(Miss::Unreadable(_))));
        let later = now
            .checked_add(jiff::SignedDuration::from_secs(3600))
            .unwrap();
        locked.write(&assumed(later)).unwrap();
        assert!(locked.read(now).is_ok());
        let mode = fs::metadata(&locked.entry).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn an_oversized_entry_or_one_whose_credentials_could_inject_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let locked = locked_in(dir.path());
        let (now, later) = now_and_an_hour_later();
        locked.write(&assumed(later)).unwrap();
        let good: Value =
            serde_json::from_str(&fs::read_to_string(&locked.entry).unwrap()).unwrap();
        let mut big = good.clone();
        big["subject"] = Value::String("x".repeat(MAX_ENTRY_BYTES));
        fs::write(&locked.entry, big.to_string()).unwrap();
        match locked.read(now) {
            Err(Miss::Unreadable(why)) => assert!(why.contains("larger than"), "{why}"),
            other => panic!("{other:?}"),
        }
        for name in ["access_key_id", "secret_access_key", "session_token"] {
            let mut bad = good.clone();
            bad[name] = Value::String("x'\n::add-mask::y".to_owned());
            fs::write(&locked.entry, bad.to_string()).unwrap();
            match locked.read(now) {
                Err(Miss::Unreadable(why)) => assert!(why.contains(name), "{why}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    fn record(at: Timestamp) -> FailureRecord {
        FailureRecord {
            at,
            attempts: 3,
            code: "AS109".into(),
            answer: "Throttling: Rate exceeded".into(),
            stopped: "gave up after 3 attempts (--max-attempts)".into(),
        }
    }

    #[test]
    fn a_failure_record_speaks_for_its_window_and_a_success_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::open(Some(dir.path().join("c"))).unwrap();
        let locked = cache.lock(&key(), Duration::from_secs(1)).unwrap().unwrap();
        let (at, _) = now_and_an_hour_later();
        let after = |seconds: i64| {
            at.checked_add(jiff::SignedDuration::from_secs(seconds))
                .unwrap()
        };
        assert_eq!(locked.read_failure(at), None);
        locked.write_failure(&record(at)).unwrap();
        assert_eq!(locked.read_failure(after(0)), Some(record(at)));
        assert_eq!(locked.read_failure(after(9)), Some(record(at)));
        assert_eq!(locked.read_failure(after(10)), None, "past the window");
        assert_eq!(locked.read_failure(after(-5)), None, "from the future");
        // Another entry's lock does not read it.
        let other = CacheKey {
            session_name: "other".into(),
            ..key()
        };
        let other_lock = cache.lock(&other, Duration::from_secs(1)).unwrap().unwrap();
        assert_eq!(other_lock.read_failure(after(1)), None);
        // Nor does a record renamed to stand beside another entry.
        fs::copy(&locked.failure, &other_lock.failure).unwrap();
        assert_eq!(other_lock.read_failure(after(1)), None);
        // A long answer is recorded in short.
        let long = FailureRecord {
            answer: "m".repeat(5_000),
            ..record(at)
        };
        locked.write_failure(&long).unwrap();
        let read = locked.read_failure(after(1)).unwrap();
        assert_eq!(read.answer.chars().count(), MAX_RECORDED_CHARS + 1);
        // Credentials speak for the role now.
        locked.write(&assumed(after(3600))).unwrap();
        assert!(!locked.failure.exists());
        assert_eq!(locked.read_failure(after(1)), None);
    }

    #[test]
    fn a_corrupt_oversized_or_foreign_failure_record_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let locked = locked_in(dir.path());
        let (at, _) = now_and_an_hour_later();
        locked.write_failure(&record(at)).unwrap();
        let good = fs::read_to_string(&locked.failure).unwrap();
        let oversized = good.replace(
            "Rate exceeded",
            &format!("Rate exceeded{}", " ".repeat(MAX_FAILURE_BYTES)),
        );
        for bad in [
            "{\"version\": 1, \"at\": ".to_owned(),
            oversized,
            good.replace("\"attempts\":3", "\"attempts\":0"),
            good.replace("\"version\":1", "\"version\":2"),
        ] {
            fs::write(&locked.failure, &bad).unwrap();
            assert_eq!(locked.read_failure(at), None, "{bad:.200}");
        }
        #[cfg(unix)]
        {
            fs::remove_file(&locked.failure).unwrap();
            let elsewhere = dir.path().join("elsewhere");
            fs::write(&elsewhere, &good).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &locked.failure).unwrap();
            assert_eq!(locked.read_failure(at), None, "a link is not followed");
        }
    }

    #[test]
    fn a_second_holder_waits_and_gives_up_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CredentialCache::open(Some(dir.path().to_owned())).unwrap();
        let held = cache.lock(&key(), Duration::from_secs(1)).unwrap().unwrap();
        assert!(
            cache
                .lock(&key(), Duration::from_millis(100))
                .unwrap()
                .is_none()
        );
        drop(held);
        assert!(
            cache
                .lock(&key(), Duration::from_millis(100))
                .unwrap()
                .is_some()
        );
    }
}
