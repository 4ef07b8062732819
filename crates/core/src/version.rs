//! Ordering of vendor version strings (`9.1R18.1`, `9.8(4.10)`, `10.2.9-h1`,
//! `1.0.2zh`) and the version ranges NVD match criteria carry.
//!
//! Vendors do not follow SemVer, so a version is read as a sequence of tokens: runs
//! of digits (compared as numbers of any length) and runs of letters (compared
//! case-insensitively); every other character separates tokens. Pre-release words
//! (`dev`, `snapshot`, `alpha`, `beta`, `pre`, `preview`, `rc`, `cr`) sort before the
//! release they lead to (`1.0rc1 < 1.0`); any other word is a later revision of what
//! precedes it (`9.1 < 9.1r18`, `10.2.9 < 10.2.9-h1`, `1.0.2k < 1.0.2zh`), and a
//! further number sorts after a word (`1.0a < 1.0.1`). Noise is dropped before
//! comparing: a leading `v` (`v1.2`), the words `build`, `final`, `ga` and
//! `release`, and zeros that end the version or come just before a pre-release word
//! (`1.0.0 = 1.0`, `1.0.0rc1 = 1.0rc1`). Two versions compare equal exactly when
//! [`normalize`] gives the same string, which keeps the order total.

use std::cmp::Ordering;
use std::ops::Bound;

/// Words that carry no ordering information.
const IGNORED_WORDS: [&str; 4] = ["build", "final", "ga", "release"];

/// One token of a version, in the order they sort at the same position: pre-release
/// words, then (implicitly) the end of the version, then other words, then numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A pre-release word with its rank (`dev` lowest, `rc` highest).
    Pre(u8, String),
    /// Any other run of letters.
    Word(String),
    /// A run of digits without leading zeros (`"0"` for zero).
    Num(String),
}

impl Token {
    fn class(&self) -> u8 {
        match self {
            Token::Pre(..) => 0,
            Token::Word(_) => 2,
            Token::Num(_) => 3,
        }
    }

    fn text(&self) -> &str {
        match self {
            Token::Pre(_, s) | Token::Word(s) | Token::Num(s) => s,
        }
    }

    fn is_zero(&self) -> bool {
        matches!(self, Token::Num(n) if n == "0")
    }

    /// The class the end of a version has when compared with a token.
    const END_CLASS: u8 = 1;
}

fn cmp_tokens(a: &Token, b: &Token) -> Ordering {
    match (a, b) {
        (Token::Num(x), Token::Num(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Token::Pre(rx, x), Token::Pre(ry, y)) => rx.cmp(ry).then_with(|| x.cmp(y)),
        (Token::Word(x), Token::Word(y)) => x.cmp(y),
        _ => a.class().cmp(&b.class()),
    }
}

fn pre_rank(word: &str) -> Option<u8> {
    match word {
        "dev" | "snapshot" => Some(0),
        "alpha" => Some(1),
        "beta" => Some(2),
        "pre" | "preview" => Some(3),
        "rc" | "cr" => Some(4),
        _ => None,
    }
}

fn word_token(word: String) -> Token {
    match pre_rank(&word) {
        Some(rank) => Token::Pre(rank, word),
        None => Token::Word(word),
    }
}

fn num_token(digits: &str) -> Token {
    let trimmed = digits.trim_start_matches('0');
    Token::Num(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
}

/// Splits a version into tokens and drops the noise described in the module docs.
fn tokens(version: &str) -> Vec<Token> {
    let mut raw = Vec::new();
    let mut digits = String::new();
    let mut letters = String::new();
    for c in version.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_digit() {
            if !letters.is_empty() {
                raw.push(word_token(std::mem::take(&mut letters)));
            }
            digits.push(c);
        } else if c.is_alphabetic() {
            if !digits.is_empty() {
                raw.push(num_token(&std::mem::take(&mut digits)));
            }
            letters.push(c);
        } else {
            if !digits.is_empty() {
                raw.push(num_token(&std::mem::take(&mut digits)));
            }
            if !letters.is_empty() {
                raw.push(word_token(std::mem::take(&mut letters)));
            }
        }
    }
    if !digits.is_empty() {
        raw.push(num_token(&digits));
    }
    if !letters.is_empty() {
        raw.push(word_token(letters));
    }

    raw.retain(|t| !matches!(t, Token::Word(w) if IGNORED_WORDS.contains(&w.as_str())));
    if matches!(raw.as_slice(), [Token::Word(v), Token::Num(_), ..] if v == "v") {
        raw.remove(0);
    }

    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i].is_zero() {
            let run_end = raw[i..]
                .iter()
                .position(|t| !t.is_zero())
                .map_or(raw.len(), |p| i + p);
            if run_end == raw.len() || matches!(raw[run_end], Token::Pre(..)) {
                i = run_end;
                continue;
            }
        }
        out.push(raw[i].clone());
        i += 1;
    }
    out
}

/// Compares two vendor version strings (see the module docs for the rules).
///
/// The order is total: antisymmetric, transitive, and `Equal` exactly when both
/// versions have the same [`normalize`]d form.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ta, tb) = (tokens(a), tokens(b));
    for i in 0..ta.len().max(tb.len()) {
        let ord = match (ta.get(i), tb.get(i)) {
            (Some(x), Some(y)) => cmp_tokens(x, y),
            (Some(x), None) => x.class().cmp(&Token::END_CLASS),
            (None, Some(y)) => Token::END_CLASS.cmp(&y.class()),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// The canonical form of a version, its tokens joined by `.` (`V1.0.0-RC1` →
/// `1.rc.1`): two versions [`compare`] equal exactly when their forms are equal.
pub fn normalize(version: &str) -> String {
    tokens(version)
        .iter()
        .map(Token::text)
        .collect::<Vec<_>>()
        .join(".")
}

/// A string whose byte order is the order of [`compare`]: `sort_key(a) < sort_key(b)`
/// exactly when `compare(a, b)` is `Less`. The database indexes it, so a version range
/// becomes a range scan. Each token is written with a leading class byte in the order
/// tokens sort (pre-release `A` < end of version `B` < word `C` < number `D`); words
/// end with `!`, which sorts before every letter, and numbers carry their length in
/// three digits (versions are at most 100 characters long).
#[must_use]
pub fn sort_key(version: &str) -> String {
    let mut out = String::new();
    for t in tokens(version) {
        match t {
            Token::Pre(rank, w) => {
                out.push('A');
                out.push(char::from(b'0' + rank));
                out.push_str(&w);
                out.push('!');
            }
            Token::Word(w) => {
                out.push('C');
                out.push_str(&w);
                out.push('!');
            }
            Token::Num(n) => {
                out.push('D');
                out.push_str(&format!("{:03}", n.len().min(999)));
                out.push_str(&n);
            }
        }
    }
    out.push('B');
    out
}

/// A range of versions with optional inclusive or exclusive bounds, as in NVD's
/// `versionStartIncluding` / `versionEndExcluding` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    /// The lower bound.
    pub start: Bound<String>,
    /// The upper bound.
    pub end: Bound<String>,
}

impl VersionRange {
    /// Whether `version` lies within the range, by [`compare`].
    pub fn contains(&self, version: &str) -> bool {
        let above_start = match &self.start {
            Bound::Included(s) => compare(version, s).is_ge(),
            Bound::Excluded(s) => compare(version, s).is_gt(),
            Bound::Unbounded => true,
        };
        let below_end = match &self.end {
            Bound::Included(e) => compare(version, e).is_le(),
            Bound::Excluded(e) => compare(version, e).is_lt(),
            Bound::Unbounded => true,
        };
        above_start && below_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_ascending(versions: &[&str]) {
        for pair in versions.windows(2) {
            assert_eq!(
                compare(pair[0], pair[1]),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(
                compare(pair[1], pair[0]),
                Ordering::Greater,
                "{} > {}",
                pair[1],
                pair[0]
            );
        }
    }

    #[test]
    fn sort_keys_order_like_compare_on_real_versions() {
        let all = [
            "9.1",
            "9.1R18",
            "9.1R18.1",
            "22.7R2.3",
            "7.0.12",
            "9.8(4.10)",
            "10.2.9-h1",
            "1.0.2zh",
            "1.0rc1",
            "1.0",
            "1.0.0",
            "v1.0",
            "2.0-beta",
            "2.0-preview",
            "2.0-pre",
            "10.0.17763.10000",
            "1.0a",
            "1.0.1",
        ];
        for a in all {
            for b in all {
                assert_eq!(sort_key(a).cmp(&sort_key(b)), compare(a, b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn ivanti_releases() {
        assert_ascending(&["9.1", "9.1R18", "9.1R18.1", "9.1R18.2", "22.7R2.3"]);
        assert_ascending(&["22.6R1", "22.6R2", "22.6R2.1", "22.7R1"]);
    }

    #[test]
    fn fortios_releases() {
        assert_ascending(&[
            "6.0.0", "6.0.4", "7.0.0", "7.0.1", "7.0.12", "7.0.13", "7.2.0",
        ]);
    }

    #[test]
    fn cisco_asa_releases() {
        assert_ascending(&["9.8(4)", "9.8(4.10)", "9.8(4.15)", "9.12(1)", "9.12(4.2)"]);
    }

    #[test]
    fn pan_os_hotfixes_sort_after_the_release() {
        assert_ascending(&["10.2.9", "10.2.9-h1", "10.2.9-h3", "10.2.10"]);
    }

    #[test]
    fn openssl_letter_releases() {
        assert_ascending(&["1.0.2", "1.0.2k", "1.0.2z", "1.0.2za", "1.0.2zh", "1.1.0"]);
    }

    #[test]
    fn apache_and_windows_builds() {
        assert_ascending(&["2.4.9", "2.4.49", "2.4.50"]);
        assert_ascending(&["10.0.17763.2183", "10.0.17763.10000", "10.0.19041.1"]);
    }

    #[test]
    fn pre_releases_sort_before_and_patches_after() {
        assert_ascending(&[
            "1.0dev",
            "1.0alpha",
            "1.0alpha2",
            "1.0beta2",
            "1.0rc1",
            "1.0rc2",
            "1.0",
            "1.0-1",
        ]);
        assert_ascending(&["9.1", "9.1r18"]);
        assert_ascending(&["7.0.12", "7.0.12-1"]);
        assert_ascending(&["2.0", "2.0p1", "2.0sp1"]);
        assert_ascending(&["4.0", "4.0 patch 3", "4.0.1"]);
        assert_ascending(&["1.0rc1", "1.0.1"]);
    }

    #[test]
    fn noise_is_ignored() {
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("1.0.0rc1", "1.0-RC1"),
            ("v2.3", "2.3"),
            ("5.4.0.Final", "5.4"),
            ("007.1", "7.1"),
            ("10.0 build 17763", "10.0.17763"),
            ("1_2", "1+2"),
        ] {
            assert_eq!(compare(a, b), Ordering::Equal, "{a} = {b}");
            assert_eq!(normalize(a), normalize(b));
        }
        assert_eq!(normalize("V1.0.0-RC1"), "1.rc.1");
    }

    #[test]
    fn long_numbers_do_not_overflow() {
        let huge = "1.".to_owned() + &"9".repeat(60);
        let huger = "1.1".to_owned() + &"0".repeat(60);
        assert_ascending(&["1.18446744073709551615", &huge, &huger]);
        assert_eq!(
            compare(&huge, &huge.replace("1.", "1.000")),
            Ordering::Equal
        );
    }

    #[test]
    fn ranges_honour_each_bound_kind() {
        let fortios = VersionRange {
            start: Bound::Included("7.0.0".into()),
            end: Bound::Excluded("7.0.13".into()),
        };
        assert!(fortios.contains("7.0.0"));
        assert!(fortios.contains("7.0"));
        assert!(fortios.contains("7.0.12"));
        assert!(!fortios.contains("7.0.13"));
        assert!(!fortios.contains("6.4.15"));
        let asa = VersionRange {
            start: Bound::Excluded("9.8(4)".into()),
            end: Bound::Included("9.8(4.10)".into()),
        };
        assert!(!asa.contains("9.8(4)"));
        assert!(asa.contains("9.8(4.1)"));
        assert!(asa.contains("9.8(4.10)"));
        let all = VersionRange {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        };
        assert!(all.contains("anything"));
    }

    fn arb_version() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,3}([.\\-_][0-9]{1,3}){0,3}([.\\-]?(rc|beta|alpha|r|h|p|sp|k|zh|build|v)[0-9]{0,2})?",
            "v?[0-9]{1,2}\\.[0-9]{1,2}(\\([0-9]{1,2}(\\.[0-9]{1,2})?\\))?",
            "[0-9a-zA-Z.\\-_+() ]{0,12}",
        ]
    }

    fn arb_bound() -> impl Strategy<Value = Bound<String>> {
        prop_oneof![
            Just(Bound::Unbounded),
            arb_version().prop_map(Bound::Included),
            arb_version().prop_map(Bound::Excluded),
        ]
    }

    proptest! {
        #[test]
        fn sort_keys_order_like_compare(a in arb_version(), b in arb_version()) {
            prop_assert_eq!(sort_key(&a).cmp(&sort_key(&b)), compare(&a, &b));
        }

        #[test]
        fn compare_is_antisymmetric_and_reflexive(a in arb_version(), b in arb_version()) {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            prop_assert_eq!(compare(&a, &a), Ordering::Equal);
        }

        #[test]
        fn compare_is_transitive(mut vs in prop::collection::vec(arb_version(), 3..12)) {
            vs.sort_by(|a, b| compare(a, b));
            for i in 0..vs.len() {
                for j in i + 1..vs.len() {
                    prop_assert!(compare(&vs[i], &vs[j]).is_le(), "{} <= {}", vs[i], vs[j]);
                }
            }
        }

        #[test]
        fn equality_is_equality_of_normal_forms(a in arb_version(), b in arb_version()) {
            prop_assert_eq!(compare(&a, &b) == Ordering::Equal, normalize(&a) == normalize(&b));
            prop_assert_eq!(compare(&a, &normalize(&a)), Ordering::Equal);
            prop_assert_eq!(normalize(&normalize(&a)), normalize(&a));
        }

        #[test]
        fn range_contains_agrees_with_compare(
            start in arb_bound(), end in arb_bound(), v in arb_version()
        ) {
            let expected = match &start {
                Bound::Included(s) => compare(&v, s) != Ordering::Less,
                Bound::Excluded(s) => compare(&v, s) == Ordering::Greater,
                Bound::Unbounded => true,
            } && match &end {
                Bound::Included(e) => compare(&v, e) != Ordering::Greater,
                Bound::Excluded(e) => compare(&v, e) == Ordering::Less,
                Bound::Unbounded => true,
            };
            let range = VersionRange { start: start.clone(), end: end.clone() };
            prop_assert_eq!(range.contains(&v), expected);
            if let Bound::Included(s) = &start {
                let from = VersionRange {
                    start: Bound::Included(s.clone()),
                    end: Bound::Unbounded,
                };
                prop_assert!(from.contains(s));
            }
        }
    }
}
