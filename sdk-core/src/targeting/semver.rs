//! Semantic versions as flagd's `sem_ver` reads them.
//!
//! flagd strips one leading `v`/`V` and parses with Go's `golang.org/x/mod/semver`: `1`, `1.2`
//! and `1.2.3` are valid (the short forms mean `.0`), a pre-release and build metadata may
//! follow only a full `major.minor.patch`, numbers have no leading zeros, and build metadata is
//! ignored when comparing. Numbers are compared as digit strings, so any size works.

use std::cmp::Ordering;

/// A parsed version, borrowing its parts from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    /// Without the leading `-`; empty when there is none.
    prerelease: &'a str,
    /// Whether all three numbers were written (as the schema's strict form requires).
    full: bool,
}

/// The comparison `sem_ver` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SemVerOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `^`: same major version.
    Major,
    /// `~`: same major and minor version.
    Minor,
}

impl SemVerOp {
    pub(crate) fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "=" => Self::Eq,
            "!=" => Self::Ne,
            "<" => Self::Lt,
            "<=" => Self::Le,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "^" => Self::Major,
            "~" => Self::Minor,
            _ => return None,
        })
    }

    pub(crate) fn apply(self, a: &Version<'_>, b: &Version<'_>) -> bool {
        match self {
            Self::Eq => a.cmp_version(b) == Ordering::Equal,
            Self::Ne => a.cmp_version(b) != Ordering::Equal,
            Self::Lt => a.cmp_version(b) == Ordering::Less,
            Self::Le => a.cmp_version(b) != Ordering::Greater,
            Self::Gt => a.cmp_version(b) == Ordering::Greater,
            Self::Ge => a.cmp_version(b) != Ordering::Less,
            Self::Major => a.major == b.major,
            Self::Minor => a.major == b.major && a.minor == b.minor,
        }
    }
}

impl<'a> Version<'a> {
    /// Parses as flagd does: one optional leading `v` or `V`, then Go's semver grammar.
    pub(crate) fn parse(text: &'a str) -> Option<Self> {
        let rest = text
            .strip_prefix('v')
            .or_else(|| text.strip_prefix('V'))
            .unwrap_or(text);
        let (major, rest) = number(rest)?;
        let Some(rest) = rest.strip_prefix('.') else {
            return rest.is_empty().then_some(Self::short(major, "0"));
        };
        let (minor, rest) = number(rest)?;
        let Some(rest) = rest.strip_prefix('.') else {
            return rest.is_empty().then_some(Self::short(major, minor));
        };
        let (patch, rest) = number(rest)?;
        let (prerelease, rest) = match rest.strip_prefix('-') {
            Some(tail) => {
                let end = tail.find('+').unwrap_or(tail.len());
                let (pre, rest) = tail.split_at(end);
                if !pre.split('.').all(valid_prerelease_identifier) {
                    return None;
                }
                (pre, rest)
            }
            None => ("", rest),
        };
        if let Some(build) = rest.strip_prefix('+') {
            if !build.split('.').all(valid_build_identifier) {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
        Some(Self {
            major,
            minor,
            patch,
            prerelease,
            full: true,
        })
    }

    fn short(major: &'a str, minor: &'a str) -> Self {
        Self {
            major,
            minor,
            patch: "0",
            prerelease: "",
            full: false,
        }
    }

    /// Whether `text` is a version in the strict form of flagd's schema: `major.minor.patch`,
    /// no `v`, optional pre-release and build.
    pub(crate) fn is_strict(text: &str) -> bool {
        !text.starts_with(['v', 'V']) && Version::parse(text).is_some_and(|v| v.full)
    }

    fn cmp_version(&self, other: &Self) -> Ordering {
        cmp_numeric(self.major, other.major)
            .then_with(|| cmp_numeric(self.minor, other.minor))
            .then_with(|| cmp_numeric(self.patch, other.patch))
            .then_with(|| cmp_prerelease(self.prerelease, other.prerelease))
    }
}

/// A run of digits without leading zeros, and what follows it.
fn number(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, rest) = s.split_at(end);
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    Some((digits, rest))
}

fn is_alnum_or_hyphen(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn valid_prerelease_identifier(id: &str) -> bool {
    let numeric = id.bytes().all(|b| b.is_ascii_digit());
    !id.is_empty() && is_alnum_or_hyphen(id) && !(numeric && id.len() > 1 && id.starts_with('0'))
}

fn valid_build_identifier(id: &str) -> bool {
    !id.is_empty() && is_alnum_or_hyphen(id)
}

/// Digit strings without leading zeros: longer is larger, then lexical.
fn cmp_numeric(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// SemVer 2.0 §11: no pre-release ranks above any; identifiers compare numerically when both
/// are numeric, numeric ones rank below alphanumeric ones, and a shorter list ranks lower.
fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let x_num = x.bytes().all(|c| c.is_ascii_digit());
                let y_num = y.bytes().all(|c| c.is_ascii_digit());
                let order = match (x_num, y_num) {
                    (true, true) => cmp_numeric(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        let (a, b) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
        a.cmp_version(&b)
    }

    #[test]
    fn parses_flagd_forms() {
        for ok in [
            "1.2.3",
            "v1.2.3",
            "V1.2.3",
            "1",
            "1.2",
            "0.0.0",
            "1.0.0-alpha.1",
            "1.0.0+build.7",
        ] {
            assert!(Version::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "v",
            "vv1",
            "01.0.0",
            "1.02.0",
            "1.2.3.4",
            "1.2-pre",
            "1.0.0-",
            "1.0.0-01",
            "1.0.0+",
            "1.0.0-a..b",
            "invalid",
            " 1.0.0",
            "1.0.0 ",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
        assert!(Version::is_strict("2.0.0-rc.1+b5"));
        assert!(!Version::is_strict("v2.0.0"));
        assert!(!Version::is_strict("2.0"));
    }

    #[test]
    fn orders_by_semver_precedence() {
        // The SemVer 2.0 §11 example chain.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
            "10.0.0",
            "123456789012345678901234567890.0.0",
        ];
        for pair in chain.windows(2) {
            assert_eq!(
                cmp(pair[0], pair[1]),
                Ordering::Less,
                "{} < {}",
                pair[0],
                pair[1]
            );
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater);
        }
        assert_eq!(cmp("1.0.0+a", "1.0.0+b"), Ordering::Equal);
        assert_eq!(cmp("v1.2", "1.2.0"), Ordering::Equal);
    }

    #[test]
    fn range_operators_match_major_and_minor() {
        let v = |s| Version::parse(s).unwrap();
        assert!(SemVerOp::Major.apply(&v("1.3.4"), &v("1.5.3")));
        assert!(!SemVerOp::Major.apply(&v("2.1.1"), &v("1.1.1")));
        assert!(SemVerOp::Minor.apply(&v("1.3.4"), &v("1.3.1")));
        assert!(!SemVerOp::Minor.apply(&v("2.2.1"), &v("2.1.1")));
        assert!(SemVerOp::parse("===").is_none());
    }
}
