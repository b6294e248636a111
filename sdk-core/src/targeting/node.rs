//! The compiled form of a rule: a tree of nodes whose arguments are already parsed, so that
//! evaluation never looks at operator names or re-splits paths.
//!
//! `$ref`s to flagd's `$evaluators` are [`Node::Ref`]s to one shared [`Evaluator`], so a rule
//! is a tree whose leaves may point into a DAG of evaluators: compiled once per document, held
//! once in memory, and walked as often as rules reach them (the evaluation budget pays for
//! every visit).

use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::hashing::KeyHasher;

/// A hash set keyed like the core's maps (one-shot XXH3). The keys come from the config, so
/// a context cannot choose collisions.
pub(crate) type FastSet<T> = HashSet<T, BuildHasherDefault<KeyHasher>>;

/// One compiled expression.
#[derive(Debug)]
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
    /// `{"$ref": name}`: the shared, compiled evaluator.
    Ref(Arc<Evaluator>),
}

/// A compiled `$evaluators` entry, shared by every `$ref` to it.
pub(crate) struct Evaluator {
    pub(crate) name: Box<str>,
    /// Set once the evaluator and everything it references compiled within the limits; a
    /// rule that reaches an evaluator without a body does not compile, so evaluation never
    /// finds it empty.
    pub(crate) body: OnceLock<Node>,
}

impl fmt::Debug for Evaluator {
    /// The name only: printing the body at every `$ref` would print shared evaluators over and
    /// over (exponentially often for evaluators that reference each other twice).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "$ref({})", self.name)
    }
}

/// An operator's arguments as written.
#[derive(Debug)]
pub(crate) enum Args {
    /// `{"op": [a, b, ...]}`.
    List(Box<[Node]>),
    /// `{"op": x}` with `x` not an array: one argument, or, for the operators that accept a
    /// dynamic argument list, an expression whose array value is the argument list.
    Single(Box<Node>),
}

#[derive(Debug)]
pub(crate) struct Var {
    pub(crate) path: VarPath,
    pub(crate) default: Option<Node>,
}

#[derive(Debug)]
pub(crate) enum VarPath {
    /// `""`, `null`, `[]`: the whole current data.
    Whole,
    /// A dot path split at compile time, and what looking it up costs.
    Static {
        segments: Box<[Box<str>]>,
        cost: u64,
        /// [`crate::hashing::key_hash`] of the first segment, for the context's look-up.
        first_hash: u64,
        /// The first segment is `$flagd` (read from the evaluation's environment at the root).
        flagd: bool,
    },
    /// A path computed at run time, split at run time.
    Dynamic(Node),
}

#[derive(Debug)]
pub(crate) struct Val {
    /// `[[n], ...]`: how many scope levels to climb first.
    pub(crate) climb: Option<usize>,
    pub(crate) path: ValPath,
}

#[derive(Debug)]
pub(crate) enum ValPath {
    /// Literal segments (`val` never splits on dots), and what looking them up costs.
    Static {
        segments: Box<[Box<str>]>,
        cost: u64,
    },
    /// Segments with at least one computed element.
    Parts(Box<[Node]>),
    /// One expression whose value is the segment (a string or number) or the segments (an
    /// array).
    Expr(Node),
}

/// `in` against a literal list.
#[derive(Debug)]
pub(crate) struct InSet {
    pub(crate) needle: Node,
    pub(crate) items: SetItems,
}

#[derive(Debug)]
pub(crate) enum SetItems {
    /// A short list, scanned.
    Few(Box<[Value]>),
    /// A long list, hashed by type: a look-up costs the same for 10 or 100,000 ids.
    Hashed(Box<HashedItems>),
}

#[derive(Debug, Default)]
pub(crate) struct HashedItems {
    pub(crate) strings: FastSet<Box<str>>,
    /// Numbers by the bits of their `f64` value (`-0` as `0`), as `===` compares them.
    pub(crate) numbers: FastSet<u64>,
    pub(crate) null: bool,
    pub(crate) has_false: bool,
    pub(crate) has_true: bool,
    /// Arrays and objects, compared structurally one by one.
    pub(crate) compound: Box<[Value]>,
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
#[derive(Debug)]
pub(crate) struct Fractional {
    pub(crate) key: FracKey,
    pub(crate) buckets: Box<[Bucket]>,
    /// Cumulative weights when every weight is a literal (the common case), so evaluation
    /// neither evaluates nor allocates anything for the weights.
    pub(crate) cumulative: Option<Box<[u64]>>,
}

/// Where the bucketing value comes from.
#[derive(Debug)]
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

#[derive(Debug)]
pub(crate) enum CatPart {
    /// `{"var": "$flagd.flagKey"}` (the node, for when it is not evaluated at the root).
    FlagKey(Node),
    Other(Node),
}

#[derive(Debug)]
pub(crate) enum Bucket {
    /// `[variant, weight?]` written literally: the variant is evaluated only when chosen.
    Static { variant: Node, weight: Weight },
    /// An expression that must evaluate to `[variant, weight?]`.
    Dynamic(Node),
}

#[derive(Debug)]
pub(crate) enum Weight {
    Fixed(u64),
    Expr(Node),
}
