//! Bounded text fields: trimmed, non-empty where required, and never longer than the
//! limit, so over-long input is refused at the edge with the field named.

use crate::DomainError;

/// Trims `value` and checks it is between 1 and `max` characters.
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` when the value is empty or too long.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    optional(field, v, max)
}

/// Trims `value` and checks it is at most `max` characters (empty is allowed).
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` when the value is too long or has control characters.
pub fn optional(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    let n = v.chars().count();
    if n > max {
        return Err(DomainError::invalid(
            field,
            format!("is {n} characters long; at most {max} are allowed"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

/// Checks the shape of an e-mail address (one `@`, a dotted domain, no spaces).
///
/// # Errors
/// [`DomainError::Invalid`] naming `field` when the address is malformed.
pub fn email(field: &'static str, value: &str) -> Result<String, DomainError> {
    let v = required(field, value, 254)?;
    let ok = match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !v.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(v)
    } else {
        Err(DomainError::invalid(
            field,
            format!("{v:?} is not an e-mail address"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(required("name", "  Acme  ", 10).unwrap(), "Acme");
        assert!(required("name", "   ", 10).is_err());
        let err = required("name", &"x".repeat(11), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "name: is 11 characters long; at most 10 are allowed"
        );
        assert!(optional("note", "a\u{0}b", 10).is_err());
        assert_eq!(required("name", "日本語", 3).unwrap(), "日本語");
    }

    #[test]
    fn emails() {
        assert!(email("e", "soc@example.jp").is_ok());
        for bad in ["soc", "soc@", "@x.jp", "a b@x.jp", "a@x", "a@x.jp."] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }
}
