//! The bearer-token check.
//!
//! It is an extractor, [`WriteAccess`], rather than a middleware layer: every
//! handler that changes the store takes it as its first argument, so the
//! check is visible in the handler's signature, runs before the key and the
//! body are even looked at (a client without the token learns nothing about
//! limits), and a new mutating route without it stands out in review. Reads
//! never ask for it.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// Proof that the request may change the store: the server has no token, or
/// the request carries `Authorization: Bearer <token>` with the right one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteAccess;

impl FromRequestParts<AppState> for WriteAccess {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(expected) = state.config.get_token() else {
            return Ok(WriteAccess);
        };
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token);
        match presented {
            Some(token) if same_secret(token.as_bytes(), expected.as_bytes()) => Ok(WriteAccess),
            _ => Err(ApiError::Unauthorized),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value (the scheme name is
/// case-insensitive, RFC 7235).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Compares without stopping at the first difference, so the time taken
/// does not tell an attacker how much of a guess was right. (The length is
/// not hidden; tokens are meant to be long and random.)
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_parsed_leniently_about_case_and_space() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer   abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }

    #[test]
    fn secrets_compare_by_content_and_length() {
        assert!(same_secret(b"s3cret", b"s3cret"));
        assert!(!same_secret(b"s3cret", b"s3creT"));
        assert!(!same_secret(b"s3cret", b"s3cre"));
        assert!(!same_secret(b"", b"x"));
    }
}
