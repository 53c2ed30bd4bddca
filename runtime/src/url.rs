//! Database URLs as aludel reads and shows them: passwords masked wherever a URL is shown or a
//! client's message repeats one.
//!
//! aludel's command line and its fleets ([`crate::Fleet`]) show every URL through [`mask`]:
//! `postgres://user:***@host/db`, `password=***` in a URL's query and in a libpq key/value
//! string (`host=db user=app password=*** dbname=app`).

use std::path::Path;

/// Whether `scheme` is spelt like a URL scheme of two or more characters (so that `C:` stays
/// a Windows drive).
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    scheme.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `scheme` and the rest of `scheme://rest`.
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    is_scheme(scheme).then_some((scheme, rest))
}

/// `scheme` and the rest of `scheme:rest` (no `//`).
pub fn split_prefix(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once(':')?;
    is_scheme(scheme).then_some((scheme, rest))
}

/// The keywords libpq (PostgreSQL 18 and earlier) reads in a key/value connection string.
pub const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslkeylogfile",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "min_protocol_version",
    "max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "scram_client_key",
    "scram_server_key",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
];

/// The libpq keywords whose values are secrets.
const SECRET_KEYWORDS: [&str; 5] = [
    "password",
    "sslpassword",
    "oauth_client_secret",
    "scram_client_key",
    "scram_server_key",
];

/// One `keyword=value` of a libpq key/value string.
pub struct Pair<'a> {
    /// The keyword.
    pub key: &'a str,
    /// The value with quotes and escapes removed.
    pub value: String,
    /// Where the value is written (quotes included).
    pub raw: std::ops::Range<usize>,
}

/// Reads a libpq key/value string as libpq does: `keyword = value` pairs separated by
/// whitespace, a value either up to the next whitespace or in single quotes, `\` escaping the
/// next character. The error says what is wrong, without the values.
pub fn parse_key_value(text: &str) -> Result<Vec<Pair<'_>>, String> {
    let bytes = text.as_bytes();
    let space = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_whitespace);
    let mut pairs = Vec::new();
    let mut i = 0;
    loop {
        while space(i) {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(pairs);
        }
        let key_start = i;
        while i < bytes.len() && !space(i) && bytes[i] != b'=' {
            i += 1;
        }
        let key = &text[key_start..i];
        if key.is_empty() {
            return Err("a `=` with no keyword before it".to_string());
        }
        while space(i) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(format!("`{key}` has no `=` after it"));
        }
        i += 1;
        while space(i) {
            i += 1;
        }
        let raw_start = i;
        let mut value = Vec::new();
        if bytes.get(i) == Some(&b'\'') {
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err(format!("the quoted value of `{key}` has no closing `'`")),
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') if i + 1 < bytes.len() => {
                        value.push(bytes[i + 1]);
                        i += 2;
                    }
                    Some(&b) => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
        } else {
            while i < bytes.len() && !space(i) {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                value.push(bytes[i]);
                i += 1;
            }
        }
        pairs.push(Pair {
            key,
            value: String::from_utf8_lossy(&value).into_owned(),
            raw: raw_start..i,
        });
    }
}

/// `url` with its password masked: `postgres://user:***@host/db` and `password=***` in the
/// query of a URL, `password=***` in a libpq key/value string. Other strings are returned
/// unchanged, except that whatever follows a word containing `pass` (`password s3cret`) is
/// masked, in case it is a password in a string aludel cannot read.
pub fn mask(url: &str) -> String {
    mask_with_secrets(url).0
}

/// The masked URL and the secrets it hid (the password as written and percent-decoded).
pub fn mask_with_secrets(url: &str) -> (String, Vec<String>) {
    if let Some((scheme, rest)) = split_scheme(url) {
        return mask_url(scheme, rest);
    }
    if let Some((scheme, rest)) = split_prefix(url) {
        // `postgres:user:pw@host/db`, written without the `//`.
        if let Some(at) = rest.rfind('@') {
            return (
                format!("{scheme}:***{}", &rest[at..]),
                vec![rest[..at].to_string()],
            );
        }
    }
    if url.contains('=') {
        if let Ok(pairs) = parse_key_value(url) {
            return mask_key_value(url, &pairs);
        }
    }
    mask_loosely(url)
}

/// A key/value string with the values of secret (and unknown) keywords masked.
fn mask_key_value(text: &str, pairs: &[Pair<'_>]) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut secrets = Vec::new();
    let mut from = 0;
    for pair in pairs {
        let secret = SECRET_KEYWORDS.contains(&pair.key) || !LIBPQ_KEYWORDS.contains(&pair.key);
        if secret && !pair.raw.is_empty() {
            out.push_str(&text[from..pair.raw.start]);
            out.push_str("***");
            from = pair.raw.end;
            secrets.push(text[pair.raw.clone()].to_string());
            if !pair.value.is_empty() && !secrets.contains(&pair.value) {
                secrets.push(pair.value.clone());
            }
        }
    }
    out.push_str(&text[from..]);
    (out, secrets)
}

/// `text` with everything after a word containing `pass` (and the `=`, `:` or spaces after
/// it) masked.
fn mask_loosely(text: &str) -> (String, Vec<String>) {
    let lower = text.to_ascii_lowercase();
    let Some(at) = lower.find("pass") else {
        return (text.to_string(), Vec::new());
    };
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    let word_end = i;
    while i < bytes.len() && (bytes[i].is_ascii_whitespace() || matches!(bytes[i], b'=' | b':')) {
        i += 1;
    }
    if i == word_end || i >= bytes.len() {
        return (text.to_string(), Vec::new());
    }
    (format!("{}***", &text[..i]), vec![text[i..].to_string()])
}

/// [`mask_with_secrets`] for `scheme://rest`.
fn mask_url(scheme: &str, rest: &str) -> (String, Vec<String>) {
    let mut secrets = Vec::new();
    // The user information ends at the last `@` before the query.
    let before_query = rest.find(['?', '#']).unwrap_or(rest.len());
    let (userinfo, after) = match rest[..before_query].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at..]),
        None => (None, rest),
    };
    let mut out = format!("{scheme}://");
    match userinfo.and_then(|u| u.split_once(':')) {
        Some((user, password)) if !password.is_empty() => {
            secrets.push(password.to_string());
            out.push_str(user);
            out.push_str(":***");
        }
        _ => out.push_str(userinfo.unwrap_or("")),
    }
    // `after` starts with `@` when there is user information.
    match after.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, value))
                        if SECRET_KEYWORDS.contains(&key.to_ascii_lowercase().as_str())
                            && !value.is_empty() =>
                    {
                        secrets.push(value.to_string());
                        format!("{key}=***")
                    }
                    _ => param.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(after),
    }
    let decoded: Vec<String> = secrets
        .iter()
        .map(|s| percent_decode(s))
        .filter(|d| !secrets.contains(d))
        .collect();
    secrets.extend(decoded);
    (out, secrets)
}

/// `%XX` escapes decoded (invalid ones kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let value = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` with every `:secret@` and every secret of four or more characters replaced by
/// `***` (shorter ones would mangle ordinary words; they are masked wherever a URL shows).
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets {
        out = out.replace(&format!(":{secret}@"), ":***@");
        out = out.replace(&format!("={secret}"), "=***");
        if secret.chars().count() >= 4 {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// `file:PATH?mode=rw`: the SQLite URI that opens `path` for reading and writing but does
/// not create it (`%`, `?` and `#` escaped, as URIs need; an absolute path after an empty
/// authority, `file:///var/app.db`).
#[cfg(not(windows))]
pub fn sqlite_uri_without_create(path: &Path) -> String {
    let path = path.to_string_lossy();
    let mut uri = String::from(if path.starts_with('/') {
        "file://"
    } else {
        "file:"
    });
    for c in path.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=rw");
    uri
}

/// On Windows, the path itself (checked to exist just before).
#[cfg(windows)]
pub fn sqlite_uri_without_create(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail by panicking

    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask("postgres://app:s3cret@db:5432/prod"),
            "postgres://app:***@db:5432/prod"
        );
        assert_eq!(mask("postgres://app@db/prod"), "postgres://app@db/prod");
        assert_eq!(mask("mysql://root:@h/t"), "mysql://root:@h/t");
        assert_eq!(mask("postgres://a:p@ss@h/d"), "postgres://a:***@h/d");
        assert_eq!(
            mask("postgres://h/d?user=a&password=x%40y&sslmode=require"),
            "postgres://h/d?user=a&password=***&sslmode=require"
        );
        assert_eq!(mask("app.db"), "app.db");
        let (_, secrets) = mask_with_secrets("postgres://a:p%40ss@h/d");
        assert_eq!(secrets, vec!["p%40ss".to_string(), "p@ss".to_string()]);
        assert_eq!(
            scrub("password p%40ss and p@ss, :pw@", &secrets),
            "password *** and ***, :pw@"
        );
        assert_eq!(scrub("u:pw@h", &["pw".to_string()]), "u:***@h");
    }

    #[test]
    fn reads_key_value_strings_as_libpq_does() {
        let pairs = parse_key_value(" host = h  password='it\\'s x' dbname=a\\ b port=").unwrap();
        let got: Vec<(&str, &str)> = pairs.iter().map(|p| (p.key, p.value.as_str())).collect();
        assert_eq!(
            got,
            [
                ("host", "h"),
                ("password", "it's x"),
                ("dbname", "a b"),
                ("port", "")
            ]
        );
        let text = "host=h password='it\\'s x'";
        let (shown, secrets) = mask_with_secrets(text);
        assert_eq!(shown, "host=h password=***");
        assert_eq!(secrets, ["'it\\'s x'".to_string(), "it's x".to_string()]);
        // As in libpq, the value starts after the spaces that follow `=`.
        assert_eq!(
            mask("sslpassword=k password= user=u"),
            "sslpassword=*** password= ***"
        );
        assert_eq!(mask("password='' user=u"), "password=*** user=u");
        assert_eq!(mask("host=h password='open"), "host=h password=***");
        assert_eq!(mask("user u pass: s3cret x"), "user u pass: ***");
        assert_eq!(mask("/srv/passwords/app.db"), "/srv/passwords/app.db");
        assert_eq!(mask("postgres:u:pw@h/d"), "postgres:***@h/d");
        assert_eq!(
            mask("postgres://h/d?sslpassword=k"),
            "postgres://h/d?sslpassword=***"
        );
        for (text, error) in [
            ("=x", "a `=` with no keyword before it"),
            ("host=h user", "`user` has no `=` after it"),
            (
                "password='x",
                "the quoted value of `password` has no closing `'`",
            ),
        ] {
            assert_eq!(
                parse_key_value(text).err().as_deref(),
                Some(error),
                "{text}"
            );
        }
    }
}
