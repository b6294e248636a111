//! The typed-attribute encoding of a context (DESIGN §7, "Contexts"): the JS side walks its
//! context object along the snapshot's attribute paths ([`tandem::Snapshot::attributes`]) and
//! writes one `(tag, number)` pair per attribute, and every string value after the previous
//! one as UTF-8, straight into the client's input buffers in wasm memory (`reserveInput`). The
//! call that follows passes only the two lengths, with no JSON text unless a value is itself an
//! object or an array.
//!
//! | tag | value | number |
//! |---:|---|---|
//! | 0 | absent (not set) | — |
//! | 1 | `null` | — |
//! | 2 / 3 | `false` / `true` | — |
//! | 4 | an integer (a safe JS integer) | the integer |
//! | 5 | a number | the number |
//! | 6 | a string | its length in UTF-16 code units, in the string buffer |
//! | 7 | an object or array | the length of its JSON text, in the string buffer |
//!
//! Lengths are in UTF-16 code units because that is what JS measures for free; the decoder
//! walks the UTF-8 text to find the byte boundaries (for ASCII text they are the same).

use serde_json::Value;
use tandem::{AttributeValue, Attributes, Context, ErrorKind};

use crate::error::WasmError;

/// Tag of an attribute the context does not have.
pub const TAG_ABSENT: u8 = 0;
/// Tag of `null`.
pub const TAG_NULL: u8 = 1;
/// Tag of `false`.
pub const TAG_FALSE: u8 = 2;
/// Tag of `true`.
pub const TAG_TRUE: u8 = 3;
/// Tag of an integer.
pub const TAG_INT: u8 = 4;
/// Tag of a number.
pub const TAG_NUMBER: u8 = 5;
/// Tag of a string.
pub const TAG_STRING: u8 = 6;
/// Tag of a JSON object or array.
pub const TAG_JSON: u8 = 7;

/// Splits UTF-8 text into consecutive pieces measured in UTF-16 code units.
struct Pieces<'a> {
    rest: &'a str,
    ascii: bool,
}

impl<'a> Pieces<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            rest: text,
            ascii: text.is_ascii(),
        }
    }

    /// The next piece of `units` UTF-16 code units; `None` when the text is shorter or the
    /// boundary falls inside a surrogate pair.
    fn take(&mut self, units: usize) -> Option<&'a str> {
        let bytes = if self.ascii {
            units
        } else {
            let mut counted = 0;
            let mut end = None;
            for (at, c) in self.rest.char_indices() {
                if counted == units {
                    end = Some(at);
                    break;
                }
                counted += c.len_utf16();
                if counted > units {
                    return None;
                }
            }
            match end {
                Some(end) => end,
                None if counted == units => self.rest.len(),
                None => return None,
            }
        };
        let piece = self.rest.get(..bytes)?;
        self.rest = self.rest.get(bytes..)?;
        Some(piece)
    }
}

/// The error of an encoding that does not match the snapshot's table (a bug of the caller,
/// never of the data).
pub(crate) fn malformed(what: &str) -> WasmError {
    WasmError::new(
        ErrorKind::InvalidContext,
        format!("context: malformed typed attributes ({what})"),
    )
}

/// Fills `ctx` (cleared first, storage reused) from the typed encoding of `attributes`.
///
/// # Errors
/// [`ErrorKind::InvalidContext`] for an encoding that does not match the table (a bug of the
/// caller, never of the data), [`ErrorKind::LimitExceeded`] for a value nested too deeply, and
/// [`ErrorKind::InvalidJson`] for an object value whose JSON text does not parse.
pub fn fill(
    ctx: &mut Context,
    attributes: &Attributes,
    numbers: &[f64],
    strings: &str,
) -> Result<(), WasmError> {
    if numbers.len() != attributes.len() * 2 {
        return Err(malformed("the attribute count differs from the snapshot's"));
    }
    // A plain loop over the pairs: the size-tuned build does not inline iterator adapters,
    // and this runs for every attribute of every dynamic-context evaluation.
    ctx.clear();
    let mut pieces = Pieces::new(strings);
    let (pairs, _) = numbers.as_chunks::<2>();
    for (index, &[tag, number]) in pairs.iter().enumerate() {
        let value = match tag as u8 {
            TAG_ABSENT => continue,
            TAG_NULL => AttributeValue::Null,
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_TRUE => AttributeValue::Bool(true),
            // The JS side sends only safe integers with this tag: the cast is exact.
            TAG_INT => AttributeValue::Int(number as i64),
            TAG_NUMBER => AttributeValue::Number(number),
            TAG_STRING => AttributeValue::Str(
                pieces
                    .take(number as usize)
                    .ok_or_else(|| malformed("the string buffer is too short"))?,
            ),
            TAG_JSON => {
                let text = pieces
                    .take(number as usize)
                    .ok_or_else(|| malformed("the string buffer is too short"))?;
                let value = serde_json::from_str::<Value>(text).map_err(|_| {
                    WasmError::new(
                        ErrorKind::InvalidJson,
                        "context: an attribute's object value is not JSON",
                    )
                })?;
                AttributeValue::Json(value)
            }
            _ => return Err(malformed("unknown tag")),
        };
        ctx.set_attribute(attributes, index, value)?;
    }
    Ok(())
}

/// Replaces `ctx` with a context parsed from JSON text: for snapshots whose rules read the
/// whole context ([`Attributes::reads_whole_context`]).
///
/// # Errors
/// As [`Context::from_json`].
pub fn from_json(ctx: &mut Context, json: &str) -> Result<(), WasmError> {
    *ctx = Context::from_json(json)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pieces_follow_utf16_lengths() {
        let mut pieces = Pieces::new("abcdé😀x");
        assert_eq!(pieces.take(3), Some("abc"));
        assert_eq!(pieces.take(2), Some("dé"));
        assert_eq!(pieces.take(2), Some("😀"));
        assert_eq!(pieces.take(1), Some("x"));
        assert_eq!(pieces.take(1), None);
        let mut split = Pieces::new("😀");
        assert_eq!(split.take(1), None, "inside a surrogate pair");
    }
}
