//! The checked parse against serde_json: same values, same refusals, plus duplicates and depth.

use super::*;
use serde_json::json;

fn checked(text: &str) -> Checked {
    parse_checked(text, MAX_DEPTH).unwrap()
}

/// Texts serde_json accepts, with the numbers, strings and shapes that differ most between
/// parsers.
const VALID: [&str; 18] = [
    r#"{"a": [1, -2, 3.5, 1e300, 18446744073709551615, -9223372036854775808], "b": null}"#,
    r#"[true, false, "x\u00e9\n", {"": {}}, [], [[]], "\ud83d\ude00", "\"q\" \\ \/ \b\f\r\t"]"#,
    r#"  "just a string"  "#,
    "0",
    "-0",
    "-0.0",
    "[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]",
    "[1E2, 1e+2, 1e-2, 0.1, 2.5e-324, 1e-400, 0.30000000000000004, 9007199254740993]",
    "[1.7976931348623157e308, 4.9e-324, 5e-324, 123.456e7, -1.5E-7]",
    r#"{"z": 1, "a": 2, "m": {"y": [1, {"x": 2}]}}"#,
    "\t\n\r [ 1 ,\n 2 ] \n",
    r#""é ü 日本 🎉""#,
    r#"{"k\u0000ey": "v\u001f"}"#,
    r#"[{}, {"a": {}}, [[], [[]]]]"#,
    "-1234567890",
    "1.0",
    "[0e0, 0E+0, -0e-0]",
    r#"{"a": 1, "b": 2, "a": 3}"#,
];

#[test]
fn builds_exactly_the_value_serde_json_builds() {
    for text in VALID {
        let expected: Value = serde_json::from_str(text).unwrap();
        let got = checked(text);
        assert_eq!(got.value, expected, "{text}");
        // Same key order and number types too, not only equal values.
        assert_eq!(got.value.to_string(), expected.to_string(), "{text}");
    }
}

#[test]
fn rejects_what_serde_json_rejects() {
    let invalid = [
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        r#"{"a" 1}"#,
        r#"{"a": 1,}"#,
        "[1,]",
        "[,1]",
        "1 2",
        r#"{"a": 1} x"#,
        "nul",
        "tru",
        "True",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "--1",
        "0x10",
        "NaN",
        "Infinity",
        "1e400",
        "-1e400",
        r#""abc"#,
        "\"a\nb\"",
        r#""\x""#,
        r#""\u12""#,
        r#""\ud800""#,
        "[1 2]",
        r#"{"a":1 "b":2}"#,
        r#"{1: 2}"#,
        r#"{"a"}"#,
        "\u{feff}1",
        "[\"a\"\"b\"]",
        "'a'",
        "[1]]",
        "{}}",
    ];
    for text in invalid {
        assert!(
            serde_json::from_str::<Value>(text).is_err(),
            "{text:?}: serde_json accepts it"
        );
        let error = parse_checked(text, MAX_DEPTH).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidJson, "{text:?}");
        assert!(
            error.message().starts_with("$: not valid JSON: ")
                && error.message().contains(" at line "),
            "{error}"
        );
    }
    let error = parse_checked("{\n  \"a\": tru\n}", MAX_DEPTH).unwrap_err();
    assert_eq!(
        error.message(),
        "$: not valid JSON: expected value at line 2 column 7"
    );
}

#[test]
fn reports_each_duplicate_with_its_path_and_keeps_the_last_value() {
    let text = r#"{"flags": {"f": {"state": "ENABLED", "state": "DISABLED"},
                   "f": {"v": [{"k": 1, "k": 2, "k": 3}]}}, "flags": {}, "a.b": {"x": 0, "x": 1}}"#;
    let got = checked(text);
    assert_eq!(
        got.duplicates,
        [
            "flags.f.state",
            "flags.f.v[0].k",
            "flags.f.v[0].k",
            "flags.f",
            "flags",
            r#"["a.b"].x"#
        ]
    );
    assert_eq!(got.duplicate_count, 6);
    // Last wins, at the first key's position: as serde_json does.
    let expected: Value = serde_json::from_str(text).unwrap();
    assert_eq!(got.value, expected);
    assert_eq!(got.value, json!({"flags": {}, "a.b": {"x": 1}}));
}

#[test]
fn the_callback_sees_parent_steps_and_the_key() {
    let mut seen = Vec::new();
    parse_reporting(
        r#"[{"a": {"b": 1, "b": 2}}, 0, {"c": 0, "c": 0}]"#,
        &Bump::new(),
        MAX_DEPTH,
        &mut |parents: &[Step<'_>], key: &str| seen.push((path_of(parents), key.to_owned())),
    )
    .unwrap();
    assert_eq!(
        seen,
        [
            ("[0].a".to_owned(), "b".to_owned()),
            ("[2]".to_owned(), "c".to_owned())
        ]
    );
}

#[test]
fn keeps_a_bounded_number_of_duplicate_paths() {
    let members: Vec<String> = (0..1000).map(|_| r#""k": 1"#.to_owned()).collect();
    let got = checked(&format!("{{{}}}", members.join(",")));
    assert_eq!(got.duplicate_count, 999);
    assert_eq!(got.duplicates.len(), MAX_REPORTED_DUPLICATES);
    // A long path is cut, not kept whole.
    let long = "x".repeat(10_000);
    let got = checked(&format!(r#"{{"{long}": {{"k": 1, "k": 2}}}}"#));
    let path = &got.duplicates[0];
    assert!(
        path.len() <= MAX_REPORTED_PATH_BYTES && path.ends_with('…'),
        "{path}"
    );
}

fn nested(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

#[test]
fn nesting_stops_at_the_limit_with_a_path() {
    assert!(parse_checked(&nested(5), 5).is_ok());
    let error = parse_checked(&nested(6), 5).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
    assert_eq!(
        error.message(),
        "[0][0][0][0][0]: JSON nesting is deeper than the limit of 5 levels"
    );
    let error = parse_checked(r#"{"a": {"b": [{}]}}"#, 3).unwrap_err();
    assert!(error.message().starts_with("a.b[0]: "), "{error}");
    let error = parse_checked(r#"{"a": [1, 2, {"c": []}]}"#, 3).unwrap_err();
    assert!(error.message().starts_with("a[2].c: "), "{error}");
    // Objects count as arrays do; scalars do not count.
    assert!(parse_checked(r#"{"a": {"b": [1]}}"#, 3).is_ok());
    assert!(parse_checked("1", 0).is_ok());
}

#[test]
fn nesting_past_serde_jsons_own_limit_parses_up_to_the_cap() {
    // serde_json alone stops at 128.
    assert!(serde_json::from_str::<Value>(&nested(200)).is_err());
    let value = parse_checked(&nested(MAX_DEPTH), usize::MAX).unwrap().value;
    assert_eq!(value.to_string(), nested(MAX_DEPTH));
    let error = parse_checked(&nested(MAX_DEPTH + 1), usize::MAX).unwrap_err();
    assert!(
        error
            .message()
            .ends_with(&format!("limit of {MAX_DEPTH} levels")),
        "{error}"
    );
    // Hostile: far deeper than any limit, and unbalanced.
    let error = parse_checked(&"[".repeat(1_000_000), usize::MAX).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn paths_of_steps() {
    assert_eq!(path_of(&[]), "$");
    assert_eq!(
        path_of(&[Step::Key("flags"), Step::Key("a b"), Step::Index(3)]),
        r#"flags["a b"][3]"#
    );
    assert_eq!(shorten("ééé".to_owned(), 5), "é…");
    assert_eq!(shorten("abc".to_owned(), 5), "abc");
    assert_eq!(line_and_column("ab\ncdé", 7), (2, 3));
}

#[test]
fn agrees_with_serde_json_on_mutated_documents() {
    // Byte-level mutations of valid documents (insert, delete, replace with JSON's own
    // characters), deterministic: accepted and rejected alike, same value when accepted.
    const ALPHABET: &[u8] = b"{}[]\":,\\ -+.eE0123456789tfnulrsaxu\n\x01\xc3\xa9";
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut bytes = VALID[round % VALID.len()].as_bytes().to_vec();
        for _ in 0..1 + next(3) {
            let at = next(bytes.len() + 1);
            let byte = ALPHABET[next(ALPHABET.len())];
            match next(3) {
                0 => bytes.insert(at, byte),
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ if at < bytes.len() => bytes[at] = byte,
                _ => bytes.push(byte),
            }
        }
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        let expected = serde_json::from_str::<Value>(text);
        let got = parse_checked(text, MAX_DEPTH);
        match (&expected, &got) {
            (Ok(expected), Ok(got)) => {
                accepted += 1;
                assert_eq!(got.value.to_string(), expected.to_string(), "{text:?}");
            }
            (Err(_), Err(error)) => assert_eq!(error.kind(), ErrorKind::InvalidJson),
            _ => panic!("{text:?}: serde_json {expected:?}, checked {got:?}"),
        }
    }
    assert!(
        accepted > 1_000,
        "too few accepted inputs to compare: {accepted}"
    );
}

#[test]
fn decodes_escapes_as_serde_json_does() {
    // Strings built from escape fragments (good and bad ones, surrogates alone, in pairs and in
    // wrong pairs), deterministic: the same refusals and the same text as serde_json's decoder.
    const FRAGMENTS: [&str; 24] = [
        "a",
        "é",
        "🎉",
        "\\\\",
        "\\\"",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0041",
        "\\u00e9",
        "\\u00E9",
        "\\u0000",
        "\\ud83d",
        "\\uDE00",
        "\\ude00",
        "\\uD800\\uDC00",
        "\\u12",
        "\\x",
        "\\uzzzz",
        "\\uDBFF\\uDFFF",
        "\\u",
    ];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..20_000 {
        let mut text = String::from("\"");
        for _ in 0..1 + next(5) {
            text.push_str(FRAGMENTS[next(FRAGMENTS.len())]);
        }
        text.push('"');
        match (
            serde_json::from_str::<Value>(&text),
            parse_checked(&text, MAX_DEPTH),
        ) {
            (Ok(expected), Ok(got)) => {
                accepted += 1;
                assert_eq!(got.value, expected, "{text}");
            }
            (Err(_), Err(error)) => {
                rejected += 1;
                assert_eq!(error.kind(), ErrorKind::InvalidJson, "{text}");
            }
            (expected, got) => panic!("{text}: serde_json {expected:?}, checked {got:?}"),
        }
    }
    assert!(
        accepted > 1_000 && rejected > 1_000,
        "{accepted} accepted, {rejected} rejected"
    );
}

#[test]
fn a_tree_borrowed_from_a_value_converts_back_to_it() {
    for text in VALID {
        let value: Value = serde_json::from_str(text).unwrap();
        let arena = Bump::new();
        let back = Tree::borrowed(&value, usize::MAX, &arena).to_value();
        assert_eq!(back.to_string(), value.to_string(), "{text}");
    }
}

#[test]
fn a_tree_borrows_its_strings_from_the_text_unless_they_have_escapes() {
    let text = r#"{"plain": "text", "esc\u0061ped": "a\nb"}"#;
    let arena = Bump::new();
    let tree = parse_reporting(text, &arena, MAX_DEPTH, &mut |_, _| {}).unwrap();
    let in_text = |s: &str| text.as_bytes().as_ptr_range().contains(&s.as_ptr());
    let members: Vec<(bool, bool)> = tree
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, value)| (in_text(key), in_text(value.as_str().unwrap())))
        .collect();
    assert_eq!(members, [(true, true), (false, false)]);
    assert_eq!(tree.get("escaped").and_then(Tree::as_str), Some("a\nb"));
}

#[test]
fn a_borrowed_tree_stops_at_its_depth_with_stand_ins_that_keep_objects_visible() {
    let value = json!([[[1, [2]], [[{"x": 1}]]], "top"]);
    let arena = Bump::new();
    let tree = Tree::borrowed(&value, 2, &arena);
    // Level 3 containers are stood in for: the one holding an object as an empty object, the
    // other as a non-empty array.
    assert_eq!(tree.to_value(), json!([[[null], {}], "top"]), "{tree:?}");
}
