//! What a log line may show of a request path. Tokens travel in headers, but
//! Keystone-v2-style validation paths (`/tokens/<token>`, `/tokens/<token>/endpoints`)
//! carry one in the path: that segment is replaced wherever a path is logged, by
//! the local cloud and by the gateway alike. Queries are never logged (they may
//! hold `?X-Auth-Token=`).

/// The path as logged: the segment after any `tokens` segment is redacted.
pub fn log_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut after_tokens = false;
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if segment.is_empty() {
            // `tokens//<token>` still names the token: the state carries over.
            continue;
        }
        if after_tokens {
            out.push_str("<redacted>");
        } else {
            out.push_str(segment);
        }
        after_tokens = names_tokens(segment);
    }
    out
}

/// `tokens`, in any case and with any of its letters percent-encoded (`%74okens`).
fn names_tokens(segment: &str) -> bool {
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy().eq_ignore_ascii_case("tokens")
}

#[cfg(test)]
mod tests {
    use super::log_path;

    #[test]
    fn token_segments_are_redacted() {
        assert_eq!(log_path("/identity/v2.0/tokens/abc123"), "/identity/v2.0/tokens/<redacted>");
        assert_eq!(
            log_path("/identity/v2.0/tokens/abc123/endpoints"),
            "/identity/v2.0/tokens/<redacted>/endpoints"
        );
        assert_eq!(log_path("/identity/v2.0/TOKENS/abc"), "/identity/v2.0/TOKENS/<redacted>");
        assert_eq!(log_path("/identity/v2.0/tokens"), "/identity/v2.0/tokens");
        assert_eq!(log_path("/identity/v2.0/tokens/"), "/identity/v2.0/tokens/");
        assert_eq!(log_path("/identity/v2.0/tokens//abc"), "/identity/v2.0/tokens//<redacted>");
        assert_eq!(log_path("/identity/v2.0/%74oKens/abc"), "/identity/v2.0/%74oKens/<redacted>");
        assert_eq!(log_path("/network/v2.0/ports/12"), "/network/v2.0/ports/12");
    }
}
