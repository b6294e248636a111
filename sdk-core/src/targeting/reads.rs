//! What a rule reads at the root of its data ([`super::Rule::root_paths`]).
//!
//! A walk over the compiled tree that tracks how many scopes sit above the root: an iterator's
//! body, `reduce`'s body and `try`'s fallbacks see other data than the root, and `val` can
//! climb back out of them. Each shared evaluator is walked once per scope level it is reached
//! at, and the walk's recursion is bounded by the rule's depth limit.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use super::node::{Args, Bucket, CatPart, FracKey, Node, Val, ValPath, Var, VarPath, Weight};
use super::value::js_string;

type Path = Box<[Box<str>]>;

/// Where a walk puts the root paths it finds.
pub(crate) trait PathSink {
    /// A path of at least one segment that does not start at `$flagd`; the same path may
    /// come more than once.
    fn path<'p>(&mut self, segments: impl Iterator<Item = &'p str> + Clone);
}

struct Walk<'o, S> {
    sink: &'o mut S,
    /// Evaluators already walked, by address and scope level.
    walked: HashSet<(usize, usize)>,
    unknown: bool,
    /// Whether some path starts at `$flagd` (the flag key and the evaluation time).
    environment: bool,
}

/// Hands every root path of the rule at `root` to `sink`; `true` when the rule also reads
/// paths it cannot name ahead of time.
pub(crate) fn visit_root_paths<S: PathSink>(root: &Node, sink: &mut S) -> bool {
    let mut walk = Walk {
        sink,
        walked: HashSet::new(),
        unknown: false,
        environment: false,
    };
    walk.node(root, 0);
    walk.unknown
}

/// Whether the rule at `root` may read `$flagd` (its flag key or the evaluation time): a path
/// that starts there, or one it cannot name ahead of time.
pub(crate) fn reads_environment(root: &Node) -> bool {
    /// Keeps nothing: only the walk's flags are wanted.
    struct Ignore;
    impl PathSink for Ignore {
        fn path<'p>(&mut self, _: impl Iterator<Item = &'p str> + Clone) {}
    }
    let mut walk = Walk {
        sink: &mut Ignore,
        walked: HashSet::new(),
        unknown: false,
        environment: false,
    };
    walk.node(root, 0);
    walk.unknown || walk.environment
}

/// The paths as owned segments, each once, after those `out` holds already.
struct Collect<'o> {
    out: &'o mut Vec<Path>,
    seen: HashSet<Path>,
}

impl PathSink for Collect<'_> {
    fn path<'p>(&mut self, segments: impl Iterator<Item = &'p str> + Clone) {
        let path: Path = segments.map(Box::from).collect();
        if self.seen.insert(path.clone()) {
            self.out.push(path);
        }
    }
}

pub(crate) fn root_paths(root: &Node, out: &mut Vec<Path>) -> bool {
    let seen = out.iter().cloned().collect();
    visit_root_paths(root, &mut Collect { out, seen })
}

impl<S: PathSink> Walk<'_, S> {
    fn add<'p>(&mut self, segments: impl Iterator<Item = &'p str> + Clone) {
        match segments.clone().next() {
            // The whole data.
            None => self.unknown = true,
            // Resolved from the environment at the root.
            Some("$flagd") => self.environment = true,
            Some(_) => self.sink.path(segments),
        }
    }

    fn nodes(&mut self, nodes: &[Node], level: usize) {
        for node in nodes {
            self.node(node, level);
        }
    }

    fn args(&mut self, args: &Args, level: usize) {
        match args {
            Args::List(nodes) => self.nodes(nodes, level),
            Args::Single(node) => self.node(node, level),
        }
    }

    fn node(&mut self, node: &Node, level: usize) {
        match node {
            Node::Lit(_) | Node::Fail => {}
            Node::Array(items)
            | Node::MissingSome(items)
            | Node::If(items)
            | Node::And(items)
            | Node::Or(items)
            | Node::Compare(_, items)
            | Node::In(items)
            | Node::Substr(items) => {
                if let Node::MissingSome(items) = node {
                    self.missing_keys(items.get(1), level);
                }
                self.nodes(items, level);
            }
            Node::Var(var) => self.var(var, level),
            Node::Val(val) | Node::Exists(val) => self.val(val, level),
            Node::Missing(args) => {
                self.missing(args, level);
                self.args(args, level);
            }
            Node::Coalesce(args)
            | Node::Arith(_, args)
            | Node::Extremum(_, args)
            | Node::Cat(args)
            | Node::Merge(args)
            | Node::StrMatch(_, args)
            | Node::SemVer(args) => self.args(args, level),
            Node::Not(arg) | Node::Truthy(arg) | Node::Throw(arg) => self.node(arg, level),
            Node::InSet(set) => self.node(&set.needle, level),
            Node::Iter(_, items) | Node::Reduce(items) => {
                // [source, body, initial?]: the body sees each element.
                for (i, item) in items.iter().enumerate() {
                    self.node(item, if i == 1 { level + 1 } else { level });
                }
            }
            Node::Try(Args::List(items)) => {
                // Fallbacks see the previous error as their data.
                for (i, item) in items.iter().enumerate() {
                    self.node(item, if i == 0 { level } else { level + 1 });
                }
            }
            Node::Try(Args::Single(item)) => self.node(item, level),
            Node::Fractional(frac) => {
                match &frac.key {
                    FracKey::Implicit => self.add(std::iter::once("targetingKey")),
                    FracKey::Literal(_) => {}
                    FracKey::Cat(parts) => {
                        for part in parts.iter() {
                            let (CatPart::FlagKey(node) | CatPart::Other(node)) = part;
                            self.node(node, level);
                        }
                    }
                    FracKey::Expr(node) => {
                        self.node(node, level);
                        // A null or a bucket there means the implicit key.
                        self.add(std::iter::once("targetingKey"));
                    }
                }
                for bucket in frac.buckets.iter() {
                    match bucket {
                        Bucket::Static { variant, weight } => {
                            self.node(variant, level);
                            if let Weight::Expr(node) = weight {
                                self.node(node, level);
                            }
                        }
                        Bucket::Dynamic(node) => self.node(node, level),
                    }
                }
            }
            Node::Ref(evaluator) => {
                if self.walked.insert((Arc::as_ptr(evaluator) as usize, level)) {
                    if let Some(body) = evaluator.body.get() {
                        self.node(body, level);
                    }
                }
            }
        }
    }

    fn var(&mut self, var: &Var, level: usize) {
        match &var.path {
            VarPath::Whole if level == 0 => self.unknown = true,
            VarPath::Static { segments, .. } if level == 0 => {
                self.add(segments.iter().map(|s| &**s));
            }
            VarPath::Dynamic(node) => {
                self.node(node, level);
                if level == 0 {
                    self.unknown = true;
                }
            }
            _ => {}
        }
        if let Some(default) = &var.default {
            self.node(default, level);
        }
    }

    fn val(&mut self, val: &Val, level: usize) {
        // Each climb of two leaves one iterator scope; an odd climb ends at an iteration's
        // metadata (`index`), which is not data.
        let at_root = match val.climb {
            None => level == 0,
            Some(n) => n % 2 == 0 && n / 2 == level,
        };
        match &val.path {
            ValPath::Static { segments, .. } => {
                if at_root {
                    self.add(segments.iter().map(|s| &**s));
                }
            }
            ValPath::Parts(nodes) => {
                self.nodes(nodes, level);
                self.unknown |= at_root;
            }
            ValPath::Expr(node) => {
                self.node(node, level);
                self.unknown |= at_root;
            }
        }
    }

    /// `missing`'s keys: the first argument's items when it is a literal array, else every
    /// argument.
    fn missing(&mut self, args: &Args, level: usize) {
        match args {
            Args::List(nodes) => match nodes.first() {
                Some(Node::Lit(Value::Array(_))) => self.missing_keys(nodes.first(), level),
                _ => {
                    for node in nodes.iter() {
                        self.missing_key(node, level);
                    }
                }
            },
            Args::Single(node) => match &**node {
                Node::Lit(Value::Array(_)) => self.missing_keys(Some(node), level),
                other => self.missing_key(other, level),
            },
        }
    }

    fn missing_key(&mut self, node: &Node, level: usize) {
        if level != 0 {
            return;
        }
        match node {
            Node::Lit(key) => self.add_dotted(key),
            _ => self.unknown = true,
        }
    }

    /// A node that evaluates to the list of keys (`missing_some`'s second argument).
    fn missing_keys(&mut self, keys: Option<&Node>, level: usize) {
        if level != 0 {
            return;
        }
        match keys {
            Some(Node::Lit(Value::Array(items))) => {
                for key in items {
                    self.add_dotted(key);
                }
            }
            // Not an array: no keys.
            Some(Node::Lit(_)) | None => {}
            Some(_) => self.unknown = true,
        }
    }

    /// A `missing` key is a `var` path.
    fn add_dotted(&mut self, key: &Value) {
        let text = js_string(key);
        if text.is_empty() {
            self.unknown = true;
        } else {
            self.add(text.split('.'));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::targeting::{CompileOptions, Rule};

    /// The paths `rule` reads at the root, as dotted strings, and whether it reads more.
    fn reads(rule: Value, evaluators: Option<Value>) -> (Vec<String>, bool) {
        let options = CompileOptions {
            evaluators: evaluators.as_ref().and_then(Value::as_object),
            ..CompileOptions::default()
        };
        let rule = Rule::compile(&rule, &options).unwrap().rule;
        let mut out = Vec::new();
        let unknown = rule.root_paths(&mut out);
        let paths = out.iter().map(|p| p.join(".")).collect();
        (paths, unknown)
    }

    fn known(paths: &[&str]) -> (Vec<String>, bool) {
        (paths.iter().map(|p| (*p).to_owned()).collect(), false)
    }

    #[test]
    fn var_val_and_exists_name_their_paths() {
        assert_eq!(
            reads(
                json!({"and": [{"var": "user.plan"}, {"var": ["age", {"var": "fallback"}]}]}),
                None
            ),
            known(&["user.plan", "age", "fallback"])
        );
        assert_eq!(reads(json!({"val": ["a.b", "c"]}), None), known(&["a.b.c"]));
        let (paths, _) = reads(json!({"val": ["a.b", "c"]}), None);
        assert_eq!(paths.len(), 1);
        assert_eq!(reads(json!({"exists": "x"}), None), known(&["x"]));
        assert_eq!(
            reads(
                json!({"==": [{"var": "$flagd.flagKey"}, {"var": "$flagd.timestamp"}]}),
                None
            ),
            known(&[])
        );
        assert_eq!(
            reads(json!({"var": "a"}), None),
            reads(json!({"!!": [{"var": "a"}, {"var": "a"}]}), None)
        );
    }

    #[test]
    fn reads_that_cannot_be_named_are_flagged() {
        for rule in [
            json!({"var": ""}),
            json!({"var": null}),
            json!({"var": {"cat": ["a", "b"]}}),
            json!({"val": []}),
            json!({"val": {"var": "name"}}),
            json!({"missing": {"var": "keys"}}),
            json!({"missing_some": [1, {"var": "keys"}]}),
            json!({"map": [[1], {"val": [[2], {"cat": ["x"]}]}]}),
        ] {
            assert!(reads(rule.clone(), None).1, "{rule}");
        }
    }

    #[test]
    fn missing_keys_are_paths() {
        assert_eq!(
            reads(json!({"missing": ["a", "b.c"]}), None),
            known(&["a", "b.c"])
        );
        assert_eq!(
            reads(json!({"missing": [["a", "b"]]}), None),
            known(&["a", "b"])
        );
        assert_eq!(
            reads(json!({"missing_some": [1, ["x", "y"]]}), None),
            known(&["x", "y"])
        );
    }

    #[test]
    fn fractional_reads_the_targeting_key_when_it_buckets_by_it() {
        assert_eq!(
            reads(json!({"fractional": [["a", 1], ["b", 1]]}), None),
            known(&["targetingKey"])
        );
        assert_eq!(
            reads(
                json!({"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}, ["a", 1]]}),
                None
            ),
            known(&["email"])
        );
        assert_eq!(
            reads(json!({"fractional": [{"var": "user"}, ["a", 1]]}), None),
            known(&["user", "targetingKey"])
        );
    }

    #[test]
    fn iterator_bodies_read_the_element() {
        assert_eq!(
            reads(
                json!({"some": [{"var": "items"}, {"==": [{"var": "id"}, 1]}]}),
                None
            ),
            known(&["items"])
        );
        // Climbing out of one iterator (two levels) reaches the root again.
        assert_eq!(
            reads(
                json!({"some": [{"var": "items"}, {"<": [{"var": "price"}, {"val": [[2], "limit"]}]}]}),
                None
            ),
            known(&["items", "limit"])
        );
        assert_eq!(
            reads(json!({"map": [[1], {"val": [[1], "index"]}]}), None),
            known(&[])
        );
        assert_eq!(
            reads(
                json!({"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, {"var": "start"}]}),
                None
            ),
            known(&["xs", "start"])
        );
        assert_eq!(
            reads(json!({"try": [{"var": "a"}, {"var": "type"}]}), None),
            known(&["a"])
        );
    }

    #[test]
    fn shared_evaluators_are_read_where_they_are_used() {
        let evaluators = json!({"is_pro": {"==": [{"var": "plan"}, "pro"]}});
        assert_eq!(
            reads(
                json!({"or": [{"$ref": "is_pro"}, {"$ref": "is_pro"}]}),
                Some(evaluators.clone())
            ),
            known(&["plan"])
        );
        assert_eq!(
            reads(
                json!({"some": [{"var": "members"}, {"$ref": "is_pro"}]}),
                Some(evaluators.clone())
            ),
            known(&["members"])
        );
        assert_eq!(
            reads(
                json!({"and": [{"some": [{"var": "members"}, {"$ref": "is_pro"}]}, {"$ref": "is_pro"}]}),
                Some(evaluators)
            ),
            known(&["members", "plan"])
        );
    }

    #[test]
    fn paths_already_listed_are_not_repeated() {
        let rule = Rule::compile(&json!({"var": "a"}), &CompileOptions::default())
            .unwrap()
            .rule;
        let mut out = vec![Box::from([Box::from("a")])];
        assert!(!rule.root_paths(&mut out));
        assert_eq!(out.len(), 1);
    }
}
