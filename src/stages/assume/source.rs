//! Where each attempt's token comes from: regular files, variables and the
//! Actions runtime are read again before every attempt (a refreshed IRSA
//! file, a new minted token); standard input, pipes and arguments give what
//! they gave the first time.

use crate::error::Error;
use crate::model::token::{self, Jwt};
use crate::rules::assume::retry::NextToken;
use crate::stages::token::{self as token_stage, TokenInput, TokenSpec, TokenSummary};

/// The token source of one assume run.
pub struct TokenSource<'a> {
    spec: &'a TokenSpec,
    first: Option<TokenInput>,
    rereadable: bool,
    mints: bool,
    /// What the last read gave: used again when a re-read comes back empty
    /// (a token file caught while its writer truncates it).
    previous: Option<TokenInput>,
    /// The token the last attempt sent, for evaluating the trust policy
    /// against exactly what STS refused.
    pub sent: Option<Jwt>,
}

impl std::fmt::Debug for TokenSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("rereadable", &self.rereadable)
            .field("mints", &self.mints)
            .finish_non_exhaustive()
    }
}

/// A token read for one attempt. `Debug` never shows the token.
pub struct ReadToken {
    /// What is sent: the token with whitespace, `Bearer ` and wrappers removed.
    pub sent: String,
    pub jwt: Option<Jwt>,
}

impl std::fmt::Debug for ReadToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadToken")
            .field("sent", &"***")
            .field("jwt", &self.jwt.as_ref().map(|_| "(claims)"))
            .finish()
    }
}

impl TokenSource<'_> {
    pub fn new(spec: &TokenSpec, first: TokenInput) -> TokenSource<'_> {
        TokenSource {
            spec,
            rereadable: first.rereadable,
            mints: first.mints,
            first: Some(first),
            previous: None,
            sent: None,
        }
    }

    /// Whether each read mints a new token.
    pub fn mints(&self) -> bool {
        self.mints
    }

    /// The token for the next attempt, and where it came from.
    pub fn read(&mut self) -> Result<(ReadToken, String), Error> {
        let input = match self.first.take() {
            Some(input) => input,
            None if !self.rereadable => self
                .previous
                .as_ref()
                .map_or_else(|| token_stage::read(self.spec), |p| Ok(p.duplicate()))?,
            None => {
                let again = token_stage::read(self.spec)?;
                match &self.previous {
                    Some(previous) if again.bytes.trim_ascii().is_empty() => previous.duplicate(),
                    _ => again,
                }
            }
        };
        self.previous = Some(input.duplicate());
        let text = String::from_utf8_lossy(&input.bytes);
        let (sent, _) = token::normalise(&text);
        let jwt = token::parse(&input.bytes).jwt().cloned();
        Ok((ReadToken { sent, jwt }, input.source))
    }

    /// What the next attempt would send, after `refused` was refused: the
    /// Actions runtime mints a new token each time (no need to ask it twice);
    /// a source read again may have a fresher one than the refused token.
    /// The attempt itself reads again: the source may change during the wait.
    pub fn next_token(&mut self, refused: &ReadToken) -> NextToken {
        if self.mints {
            return NextToken::Minted;
        }
        let refused_exp = TokenSummary::of(refused.jwt.as_ref(), String::new()).exp;
        if !self.rereadable {
            return NextToken::Same { exp: refused_exp };
        }
        match self.read() {
            Ok((next, _)) => NextToken::Read {
                changed: next.sent != refused.sent,
                exp: TokenSummary::of(next.jwt.as_ref(), String::new()).exp,
            },
            Err(_) => NextToken::Same { exp: refused_exp },
        }
    }
}
