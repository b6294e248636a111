//! Static checks against flagd's targeting schema (`flagd-schemas` `json/targeting.json`).
//!
//! flagd validates flag files against this schema but still evaluates rules that fail it, so a
//! violation is a warning: the rule compiles and runs as flagd would run it. Checks that need
//! the compiled arguments (`fractional`, `sem_ver` operands) live next to their compilation.

use super::semver::{SemVerOp, Version};
use crate::json_checked::Tree;

/// The operators, resolved from their names once at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Var,
    Val,
    Exists,
    Missing,
    MissingSome,
    If,
    Ternary,
    Eq,
    StrictEq,
    Ne,
    StrictNe,
    Not,
    NotNot,
    Or,
    And,
    Coalesce,
    Gt,
    Ge,
    Lt,
    Le,
    Max,
    Min,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Map,
    Filter,
    Reduce,
    All,
    None,
    Some,
    Merge,
    In,
    Cat,
    Substr,
    Log,
    Try,
    Throw,
    Preserve,
    Fractional,
    SemVer,
    StartsWith,
    EndsWith,
}

impl Op {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "var" => Self::Var,
            "val" => Self::Val,
            "exists" => Self::Exists,
            "missing" => Self::Missing,
            "missing_some" => Self::MissingSome,
            "if" => Self::If,
            "?:" => Self::Ternary,
            "==" => Self::Eq,
            "===" => Self::StrictEq,
            "!=" => Self::Ne,
            "!==" => Self::StrictNe,
            "!" => Self::Not,
            "!!" => Self::NotNot,
            "or" => Self::Or,
            "and" => Self::And,
            "??" => Self::Coalesce,
            ">" => Self::Gt,
            ">=" => Self::Ge,
            "<" => Self::Lt,
            "<=" => Self::Le,
            "max" => Self::Max,
            "min" => Self::Min,
            "+" => Self::Add,
            "-" => Self::Sub,
            "*" => Self::Mul,
            "/" => Self::Div,
            "%" => Self::Mod,
            "map" => Self::Map,
            "filter" => Self::Filter,
            "reduce" => Self::Reduce,
            "all" => Self::All,
            "none" => Self::None,
            "some" => Self::Some,
            "merge" => Self::Merge,
            "in" => Self::In,
            "cat" => Self::Cat,
            "substr" => Self::Substr,
            "log" => Self::Log,
            "try" => Self::Try,
            "throw" => Self::Throw,
            "preserve" => Self::Preserve,
            "fractional" => Self::Fractional,
            "sem_ver" => Self::SemVer,
            "starts_with" => Self::StartsWith,
            "ends_with" => Self::EndsWith,
            _ => return None,
        })
    }
}

/// How many arguments flagd's schema allows, as `(min, max)`; `None` for operators whose shape
/// is checked elsewhere or that are not in the schema.
fn arity(op: Op) -> Option<(usize, usize)> {
    use Op::*;
    Option::Some(match op {
        Eq | StrictEq | Ne | StrictNe | Gt | Ge | Mod | Div | Map | Filter | All | None | Some
        | In | StartsWith | EndsWith => (2, 2),
        Substr | Lt | Le => (2, 3),
        Reduce | SemVer => (3, 3),
        Mul => (2, usize::MAX),
        If | Or | And | Add | Sub | Max | Min | Merge | Cat => (1, usize::MAX),
        _ => return Option::None,
    })
}

/// The schema's warnings for one operator and its raw argument, as `(relative path, message)`
/// pairs; `path` is the operator's own path (`if[0].in`).
pub(crate) fn check(op: Op, name: &str, arg: &Tree<'_>, path: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut warn = |p: String, m: String| out.push((p, m));
    match op {
        Op::Ternary | Op::Val | Op::Exists | Op::Coalesce | Op::Log | Op::Try | Op::Throw
        | Op::Preserve => warn(
            path.to_owned(),
            format!("`{name}` is a JSON Logic extension outside flagd's targeting schema; flagd cannot evaluate this rule"),
        ),
        Op::Var => check_var(arg, path, &mut warn),
        Op::Missing if !is_string_array(arg) => warn(
            path.to_owned(),
            "flagd's schema expects `missing` to be an array of strings".to_owned(),
        ),
        Op::MissingSome => {
            let ok = matches!(arg.as_array(),
                Some([Tree::Number(_), keys]) if is_string_array(keys));
            if !ok {
                warn(path.to_owned(), "flagd's schema expects `missing_some` to be [number, [strings]]".to_owned());
            }
        }
        Op::Not | Op::NotNot if arg.as_array().is_some_and(|a| a.len() != 1) => warn(
            path.to_owned(),
            format!("flagd's schema expects `{name}` to have exactly 1 argument"),
        ),
        Op::StartsWith | Op::EndsWith => {
            for (i, item) in arg.as_array().into_iter().flatten().enumerate() {
                if !matches!(item, Tree::String(_) | Tree::Object(_)) {
                    warn(
                        super::compile::index_path(path, i),
                        format!("`{name}` compares strings: this literal is not a string, so the operator returns null"),
                    );
                }
            }
        }
        Op::SemVer => check_sem_ver(arg, path, &mut warn),
        _ => {}
    }
    if let Some((min, max)) = arity(op) {
        match arg.as_array() {
            Some(items) if items.len() < min || items.len() > max => {
                let expected = match (min, max) {
                    (a, b) if a == b => format!("exactly {a}"),
                    (a, usize::MAX) => format!("at least {a}"),
                    (a, b) => format!("{a} to {b}"),
                };
                warn(
                    path.to_owned(),
                    format!(
                        "flagd's schema expects {expected} arguments for `{name}`, not {}",
                        items.len()
                    ),
                );
            }
            Some(_) => {}
            // The operators that only take an array warn when compiled (they always fail).
            None if takes_list_only(op) => {}
            None => warn(
                path.to_owned(),
                format!("flagd's schema expects an array of arguments for `{name}`"),
            ),
        }
    }
    out
}

/// Operators that never accept a non-array argument (they raise `Invalid Arguments`).
fn takes_list_only(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        If | Ternary
            | And
            | Or
            | Eq
            | StrictEq
            | Ne
            | StrictNe
            | Gt
            | Ge
            | Lt
            | Le
            | In
            | Substr
            | MissingSome
            | Map
            | Filter
            | Reduce
            | All
            | Some
            | None
    )
}

fn is_string_array(v: &Tree<'_>) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(Tree::is_string))
}

/// `$flagd.*` other than the two properties flagd injects.
fn unknown_flagd_property(path: &str) -> bool {
    path.starts_with("$flagd.") && path != "$flagd.flagKey" && path != "$flagd.timestamp"
}

fn check_var(arg: &Tree<'_>, path: &str, warn: &mut impl FnMut(String, String)) {
    let name = match arg {
        Tree::String(s) => Some(&**s),
        Tree::Array(items) => {
            let first = items.first().and_then(Tree::as_str);
            let defaults_ok = items
                .iter()
                .skip(1)
                .all(|d| !matches!(d, Tree::Array(_) | Tree::Object(_)));
            if first.is_none() || !defaults_ok {
                warn(path.to_owned(), "flagd's schema expects `var` to be [path, default] with a string path and a literal default".to_owned());
            }
            first
        }
        _ => {
            warn(
                path.to_owned(),
                "flagd's schema expects `var` to be a string path".to_owned(),
            );
            None
        }
    };
    if let Some(name) = name.filter(|n| unknown_flagd_property(n)) {
        warn(
            path.to_owned(),
            format!("`{name}` is not a flagd property (flagd provides $flagd.flagKey and $flagd.timestamp); it is always null"),
        );
    }
}

fn check_sem_ver(arg: &Tree<'_>, path: &str, warn: &mut impl FnMut(String, String)) {
    let Some(items) = arg.as_array() else { return };
    for (i, item) in items.iter().enumerate() {
        let at = super::compile::index_path(path, i);
        match (i, item) {
            (1, Tree::String(op)) if SemVerOp::parse(op).is_some() => {}
            (1, _) => warn(at, "`sem_ver` needs a literal operator: one of =, !=, <, <=, >, >=, ^, ~; otherwise it returns null".to_owned()),
            (_, Tree::String(v)) if Version::is_strict(v) => {}
            (_, Tree::String(v)) if Version::parse(v).is_some() => warn(
                at,
                "flagd's schema expects a strict version like 1.2.3 (flagd still accepts a `v` prefix and short forms)".to_owned(),
            ),
            (_, Tree::String(_)) => {
                warn(at, "not a semantic version: `sem_ver` returns null".to_owned());
            }
            (_, Tree::Object(_)) => {}
            (_, _) => warn(at, "flagd's schema expects a version string or a `var` here".to_owned()),
        }
    }
}
