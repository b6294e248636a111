//! What a rule reads from the root of its data: the context paths a host must pass for the
//! rule to see everything it reads (DESIGN §7, `Snapshot::attributes`).

use serde_json::Value;

use super::node::{Args, Bucket, CatPart, FracKey, Node, ValPath, VarPath, Weight};
use super::Rule;

/// Collects root paths while walking a rule.
struct Walk<'r, 'o> {
    out: &'o mut Vec<Box<[Box<str>]>>,
    /// `(node, inner)`: `inner` is true below an iterator's body or a later `try` argument,
    /// where the data is an element or an error, not the root.
    stack: Vec<(&'r Node, bool)>,
    whole: bool,
}

impl<'r> Walk<'r, '_> {
    fn push_args(&mut self, args: &'r Args, inner: bool) {
        match args {
            Args::List(nodes) => self.push_all(nodes, inner),
            Args::Single(node) => self.stack.push((node, inner)),
        }
    }

    fn push_all(&mut self, nodes: &'r [Node], inner: bool) {
        self.stack.extend(nodes.iter().map(|n| (n, inner)));
    }

    fn path<'s>(&mut self, segments: impl IntoIterator<Item = &'s str>) {
        let segments: Box<[Box<str>]> = segments.into_iter().map(Box::from).collect();
        match segments.first() {
            None => self.whole = true,
            // flagd's properties come from the environment, not the context.
            Some(first) if &**first == "$flagd" => {}
            Some(_) => self.out.push(segments),
        }
    }

    /// A literal key of `missing` / `missing_some`: a `var` path.
    fn key(&mut self, key: &Value) {
        match key {
            Value::String(path) => self.path(crate::context::path::dotted(path)),
            Value::Array(items) => items.iter().for_each(|item| self.key(item)),
            _ => self.whole = true,
        }
    }

    fn keys(&mut self, node: &'r Node, inner: bool) {
        match node {
            Node::Lit(value) if !inner => self.key(value),
            Node::Lit(_) => {}
            other => {
                self.whole |= !inner;
                self.stack.push((other, inner));
            }
        }
    }

    fn visit(&mut self, node: &'r Node, inner: bool) {
        match node {
            Node::Lit(_) | Node::Fail => {}
            Node::Array(items) => self.push_all(items, inner),
            Node::Var(var) => {
                match &var.path {
                    VarPath::Whole => self.whole |= !inner,
                    VarPath::Static(segments) if !inner => self.path(segments.iter().map(|s| &**s)),
                    VarPath::Static(_) => {}
                    VarPath::Dynamic(path) => {
                        self.whole |= !inner;
                        self.stack.push((path, inner));
                    }
                }
                if let Some(default) = &var.default {
                    self.stack.push((default, inner));
                }
            }
            Node::Val(val) | Node::Exists(val) => {
                // Climbing scopes can reach the root from anywhere: assume the worst.
                if val.climb.is_some() {
                    self.whole = true;
                }
                match &val.path {
                    ValPath::Static(segments) if !inner && val.climb.is_none() => {
                        self.path(segments.iter().map(|s| &**s))
                    }
                    ValPath::Static(_) => {}
                    ValPath::Parts(nodes) => {
                        self.whole |= !inner;
                        self.push_all(nodes, inner);
                    }
                    ValPath::Expr(expr) => {
                        self.whole |= !inner;
                        self.stack.push((expr, inner));
                    }
                }
            }
            Node::Missing(args) => match args {
                Args::List(nodes) => nodes.iter().for_each(|n| self.keys(n, inner)),
                Args::Single(node) => self.keys(node, inner),
            },
            Node::MissingSome(nodes) => {
                if let Some(min) = nodes.first() {
                    self.stack.push((min, inner));
                }
                if let Some(keys) = nodes.get(1) {
                    self.keys(keys, inner);
                }
                self.push_all(nodes.get(2..).unwrap_or_default(), inner);
            }
            Node::If(nodes)
            | Node::And(nodes)
            | Node::Or(nodes)
            | Node::Compare(_, nodes)
            | Node::In(nodes)
            | Node::Substr(nodes) => self.push_all(nodes, inner),
            Node::Coalesce(args)
            | Node::Arith(_, args)
            | Node::Extremum(_, args)
            | Node::Cat(args)
            | Node::Merge(args)
            | Node::StrMatch(_, args)
            | Node::SemVer(args) => self.push_args(args, inner),
            Node::Not(node) | Node::Truthy(node) | Node::Throw(node) => {
                self.stack.push((node, inner))
            }
            Node::InSet(set) => self.stack.push((&set.needle, inner)),
            Node::Iter(_, nodes) | Node::Reduce(nodes) => {
                // The source array is read in this scope; the body (and reduce's initial
                // value, to be safe) in the element's.
                if let Some((source, rest)) = nodes.split_first() {
                    self.stack.push((source, inner));
                    self.push_all(rest, true);
                }
            }
            Node::Try(args) => match args {
                Args::List(nodes) => {
                    if let Some((first, rest)) = nodes.split_first() {
                        self.stack.push((first, inner));
                        self.push_all(rest, true);
                    }
                }
                Args::Single(node) => self.stack.push((node, inner)),
            },
            Node::Fractional(frac) => {
                match &frac.key {
                    FracKey::Implicit if !inner => self.path(["targetingKey"]),
                    FracKey::Implicit | FracKey::Literal(_) => {}
                    FracKey::Cat(parts) => {
                        for part in parts.iter() {
                            match part {
                                CatPart::FlagKey(node) | CatPart::Other(node) => {
                                    self.stack.push((node, inner))
                                }
                            }
                        }
                    }
                    FracKey::Expr(node) => {
                        // A null key falls back to the implicit one.
                        if !inner {
                            self.path(["targetingKey"]);
                        }
                        self.stack.push((node, inner));
                    }
                }
                for bucket in frac.buckets.iter() {
                    match bucket {
                        Bucket::Static { variant, weight } => {
                            self.stack.push((variant, inner));
                            if let Weight::Expr(node) = weight {
                                self.stack.push((node, inner));
                            }
                        }
                        Bucket::Dynamic(node) => self.stack.push((node, inner)),
                    }
                }
            }
        }
    }
}

impl Rule {
    /// Appends the static paths (as segments) that the rule reads at the root of its data —
    /// `var` paths split at dots, `val` / `exists` literal segments, literal keys of `missing` /
    /// `missing_some`, `targetingKey` for a `fractional` with the implicit bucketing key —
    /// skipping `$flagd.*` (they come from the environment). Returns `true` when the rule may
    /// read a root path it cannot name ahead of time (a computed path, the whole data, a `val`
    /// that climbs scopes). Paths read inside an iterator's body refer to its element and are
    /// not listed. Walks the tree with an explicit stack.
    pub fn root_paths(&self, out: &mut Vec<Box<[Box<str>]>>) -> bool {
        let mut walk = Walk {
            out,
            stack: vec![(&self.root, false)],
            whole: false,
        };
        while let Some((node, inner)) = walk.stack.pop() {
            walk.visit(node, inner);
        }
        walk.whole
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::CompileOptions;
    use super::*;

    fn paths(rule: Value) -> (Vec<String>, bool) {
        let rule = Rule::compile(&rule, &CompileOptions::default())
            .unwrap()
            .rule;
        let mut out = Vec::new();
        let whole = rule.root_paths(&mut out);
        let mut listed: Vec<String> = out.iter().map(|s| s.join("/")).collect();
        listed.sort();
        (listed, whole)
    }

    #[test]
    fn lists_root_reads() {
        let (listed, whole) = paths(json!({"and": [
            {">=": [{"var": "age"}, 18]},
            {"in": [{"var": "user.country"}, ["SE", "NO"]]},
            {"missing": ["email", "plan.tier"]},
            {"==": [{"var": "$flagd.flagKey"}, "f"]},
            {"some": [{"var": "items"}, {"==": [{"var": "sku"}, 1]}]},
            {"val": ["a.b", "c"]}
        ]}));
        assert_eq!(
            listed,
            [
                "a.b/c",
                "age",
                "email",
                "items",
                "plan/tier",
                "user/country"
            ]
        );
        assert!(!whole);
    }

    #[test]
    fn fractional_reads_the_targeting_key() {
        let (listed, whole) = paths(json!({"fractional": [["a", 50], ["b", 50]]}));
        assert_eq!(listed, ["targetingKey"]);
        assert!(!whole);
    }

    #[test]
    fn computed_paths_read_the_whole_context() {
        assert!(paths(json!({"var": {"cat": ["a", "b"]}})).1);
        assert!(paths(json!({"var": ""})).1);
        assert!(paths(json!({"missing": {"var": "keys"}})).1);
        assert!(!paths(json!({"map": [{"var": "xs"}, {"var": ""}]})).1);
    }
}
