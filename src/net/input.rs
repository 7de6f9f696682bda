//! Reading what the user points the tool at: files and standard input.
//! Every read goes through [`read_capped`], so no input (`/dev/zero`, a
//! multi-gigabyte file, an endless pipe) can take more than its cap of
//! memory.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Tokens, key sets, provider files, CA bundles, single policies: far above
/// what any of them needs (STS takes 20,000 characters), far below harm.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Templates and plans `lint` reads: large, but never this large.
pub const MAX_LINT_FILE_BYTES: usize = 64 * 1024 * 1024;

/// What is being read, for messages.
#[derive(Debug, Clone, Copy)]
pub struct Input {
    /// `token file`, `JWKS file`, ...
    pub what: &'static str,
    /// The most bytes accepted.
    pub limit: usize,
    /// What to do when the file cannot be read.
    pub help: &'static str,
    /// What to say when it is over the limit.
    pub too_large: &'static str,
}

/// Reads at most `limit` bytes of `reader`; more is an error.
pub fn read_capped(reader: impl Read, name: &str, input: &Input) -> Result<Vec<u8>, Error> {
    read_capped_sized(reader, name, input, 0)
}

/// [`read_capped`] into a buffer sized for `expected` bytes (a file's
/// length, so it is read in one call instead of growing by probes), never
/// beyond the cap.
fn read_capped_sized(
    reader: impl Read,
    name: &str,
    input: &Input,
    expected: u64,
) -> Result<Vec<u8>, Error> {
    // One byte more than expected, so reaching the end takes no regrowth.
    let capacity = usize::try_from(expected)
        .unwrap_or(usize::MAX)
        .min(input.limit)
        .saturating_add(1);
    let mut bytes = Vec::with_capacity(capacity);
    let limit = u64::try_from(input.limit.saturating_add(1)).unwrap_or(u64::MAX);
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Unreadable {
            what: input.what,
            path: PathBuf::from(name),
            help: input.help.to_owned(),
            source,
        })?;
    if bytes.len() > input.limit {
        return Err(Error::TooLarge {
            what: format!("{} `{name}`", input.what),
            limit: input.limit,
            help: input.too_large,
        });
    }
    Ok(bytes)
}

/// Reads a file through [`read_capped`].
pub fn read_file(path: &Path, input: &Input) -> Result<Vec<u8>, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Unreadable {
        what: input.what,
        path: path.to_owned(),
        help: input.help.to_owned(),
        source,
    })?;
    // The length is a hint: the file may grow or shrink while it is read.
    let expected = file.metadata().map_or(0, |m| m.len());
    read_capped_sized(file, &path.display().to_string(), input, expected)
}

/// Reads a file as text: UTF-8, with invalid sequences replaced (the
/// parsers then point at them).
pub fn read_text(path: &Path, input: &Input) -> Result<String, Error> {
    read_file(path, input).map(|bytes| match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}

/// Reads standard input through [`read_capped`].
pub fn read_stdin(input: &Input) -> Result<Vec<u8>, Error> {
    read_capped(std::io::stdin().lock(), "standard input", input)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Input = Input {
        what: "test input",
        limit: 8,
        help: "give a smaller one",
        too_large: "it is too large",
    };

    #[test]
    fn an_endless_source_stops_at_the_cap() {
        let error = read_capped(std::io::repeat(0), "/dev/zero", &SMALL).unwrap_err();
        assert!(matches!(error, Error::TooLarge { limit: 8, .. }), "{error}");
        assert!(error.to_string().contains("test input `/dev/zero`"));
    }

    #[test]
    fn a_source_at_the_cap_is_read_whole() {
        let bytes = read_capped(&b"12345678"[..], "x", &SMALL).unwrap();
        assert_eq!(bytes, b"12345678");
    }

    #[test]
    fn a_length_hint_that_is_wrong_changes_nothing_read() {
        // A file that grew or shrank after its length was taken.
        let short = read_capped_sized(&b"12345678"[..], "x", &SMALL, 2).unwrap();
        assert_eq!(short, b"12345678");
        let long = read_capped_sized(&b"1234"[..], "x", &SMALL, 8).unwrap();
        assert_eq!(long, b"1234");
        // A hint far beyond the cap allocates no more than the cap.
        let error = read_capped_sized(std::io::repeat(0), "x", &SMALL, u64::MAX).unwrap_err();
        assert!(matches!(error, Error::TooLarge { limit: 8, .. }), "{error}");
    }

    #[test]
    fn a_file_over_the_cap_is_refused_and_one_at_it_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("at");
        std::fs::write(&at, b"12345678").unwrap();
        assert_eq!(read_file(&at, &SMALL).unwrap(), b"12345678");
        let over = dir.path().join("over");
        std::fs::write(&over, b"123456789").unwrap();
        let error = read_file(&over, &SMALL).unwrap_err();
        assert!(matches!(error, Error::TooLarge { limit: 8, .. }), "{error}");
    }
}
