//! The compiled form of a rule: a tree of nodes whose arguments are already parsed, so that
//! evaluation never looks at operator names or re-splits paths.

use std::collections::HashSet;

use serde_json::Value;

/// One compiled expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A constant: evaluates to a borrow of itself.
    Lit(Value),
    /// An array with at least one non-constant element, evaluated element by element.
    Array(Box<[Node]>),
    Var(Box<Var>),
    Val(Box<Val>),
    Exists(Box<Val>),
    Missing(Args),
    MissingSome(Box<[Node]>),
    /// `if` and `?:`: condition/branch pairs and an optional else.
    If(Box<[Node]>),
    And(Box<[Node]>),
    Or(Box<[Node]>),
    /// `??`: the first non-null argument.
    Coalesce(Args),
    Not(Box<Node>),
    Truthy(Box<Node>),
    /// `==`, `!=`, `===`, `!==`, `<`, `<=`, `>`, `>=`, chained over their arguments.
    Compare(CmpOp, Box<[Node]>),
    Arith(ArithOp, Args),
    Extremum(Extremum, Args),
    /// `in` with a computed second argument.
    In(Box<[Node]>),
    /// `in` against a literal array.
    InSet(Box<InSet>),
    Cat(Args),
    Substr(Box<[Node]>),
    Merge(Args),
    /// `map`, `filter`, `all`, `some`, `none`: `[array, body]`.
    Iter(IterOp, Box<[Node]>),
    /// `reduce`: `[array, body, initial?]`.
    Reduce(Box<[Node]>),
    Try(Args),
    Throw(Box<Node>),
    StrMatch(StrMatch, Args),
    SemVer(Args),
    Fractional(Box<Fractional>),
    /// An operator whose arguments can never be valid: raises `Invalid Arguments`.
    Fail,
}

/// An operator's arguments as written.
#[derive(Debug, Clone)]
pub(crate) enum Args {
    /// `{"op": [a, b, ...]}`.
    List(Box<[Node]>),
    /// `{"op": x}` with `x` not an array: one argument, or, for the operators that accept a
    /// dynamic argument list, an expression whose array value is the argument list.
    Single(Box<Node>),
}

#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub(crate) path: VarPath,
    pub(crate) default: Option<Node>,
}

#[derive(Debug, Clone)]
pub(crate) enum VarPath {
    /// `""`, `null`, `[]`: the whole current data.
    Whole,
    /// A dot path split at compile time.
    Static(Box<[Box<str>]>),
    /// A path computed at run time, split at run time.
    Dynamic(Node),
}

#[derive(Debug, Clone)]
pub(crate) struct Val {
    /// `[[n], ...]`: how many scope levels to climb first.
    pub(crate) climb: Option<usize>,
    pub(crate) path: ValPath,
}

#[derive(Debug, Clone)]
pub(crate) enum ValPath {
    /// Literal segments (`val` never splits on dots).
    Static(Box<[Box<str>]>),
    /// Segments with at least one computed element.
    Parts(Box<[Node]>),
    /// One expression whose value is the segment (a string or number) or the segments (an
    /// array).
    Expr(Node),
}

#[derive(Debug, Clone)]
pub(crate) struct InSet {
    pub(crate) needle: Node,
    pub(crate) items: Box<[Value]>,
    /// The string items, hashed, when the list is long enough for hashing to beat a scan.
    pub(crate) strings: Option<HashSet<Box<str>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extremum {
    Max,
    Min,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IterOp {
    Map,
    Filter,
    All,
    Some,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrMatch {
    StartsWith,
    EndsWith,
}

/// flagd's `fractional`.
#[derive(Debug, Clone)]
pub(crate) struct Fractional {
    pub(crate) key: FracKey,
    pub(crate) buckets: Box<[Bucket]>,
    /// Cumulative weights when every weight is a literal (the common case), so evaluation
    /// neither evaluates nor allocates anything for the weights.
    pub(crate) cumulative: Option<Box<[u64]>>,
}

/// Where the bucketing value comes from.
#[derive(Debug, Clone)]
pub(crate) enum FracKey {
    /// `$flagd.flagKey` followed by the context's `targetingKey`.
    Implicit,
    /// A literal string.
    Literal(Box<str>),
    /// `{"cat": [...]}`, hashed part by part instead of building the string (flagd's
    /// documented `{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}` pattern).
    Cat(Box<[CatPart]>),
    /// An expression: a string is the bucketing value; null means the implicit value (the
    /// argument is dropped); an array is the first bucket (implicit value); anything else makes
    /// `fractional` return null.
    Expr(Node),
}

#[derive(Debug, Clone)]
pub(crate) enum CatPart {
    /// `{"var": "$flagd.flagKey"}` (the node, for when it is not evaluated at the root).
    FlagKey(Node),
    Other(Node),
}

#[derive(Debug, Clone)]
pub(crate) enum Bucket {
    /// `[variant, weight?]` written literally: the variant is evaluated only when chosen.
    Static { variant: Node, weight: Weight },
    /// An expression that must evaluate to `[variant, weight?]`.
    Dynamic(Node),
}

#[derive(Debug, Clone)]
pub(crate) enum Weight {
    Fixed(u64),
    Expr(Node),
}
