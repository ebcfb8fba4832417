//! Astakos identity: exchange a token for the user and the service catalog.

use gloo_net::http::Method;
use nephele_model::identity::{Access, TokenRequest, TokenResponse};

use super::{send, ApiError};

/// `POST <identity>/tokens` with the token, as kamaki does.
pub async fn authenticate(identity_url: &str, token: &str) -> Result<Access, ApiError> {
    let url = format!("{}/tokens", identity_url.trim_end_matches('/'));
    let answer: TokenResponse =
        send(Method::POST, &url, Some(token), Some(&TokenRequest::with_token(token))).await?;
    Ok(answer.access)
}
