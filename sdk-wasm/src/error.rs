//! Errors as JavaScript sees them: a JS `Error` whose `name` is `TandemError` and whose `kind`
//! and `code` carry the core's [`tandem::ErrorKind`] (name and stable number). The JS package
//! turns it into one class per kind (`InvalidJsonError`, ...); a thrown string never crosses the
//! boundary (STYLE.md 7).

use tandem::{Error, ErrorKind};
use wasm_bindgen::JsValue;

/// An error of this binding: the core's, or one found at the boundary (a malformed encoding),
/// classified with the core's kinds so JS sees one set of codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WasmError {
    /// What kind of failure, with the core's stable code.
    pub kind: ErrorKind,
    /// A message naming what failed, never the user's data.
    pub message: String,
}

impl WasmError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The JS `Error` for it.
    pub fn to_js(&self) -> JsValue {
        let js = js_sys::Error::new(&self.message);
        js.set_name("TandemError");
        let object: &JsValue = js.as_ref();
        // Setting a property on a fresh, extensible Error object cannot fail.
        let _ = js_sys::Reflect::set(object, &"kind".into(), &self.kind.as_str().into());
        let _ = js_sys::Reflect::set(object, &"code".into(), &JsValue::from(self.kind.code()));
        js.into()
    }
}

impl From<Error> for WasmError {
    fn from(error: Error) -> Self {
        Self {
            kind: error.kind(),
            message: error.message().to_owned(),
        }
    }
}

impl From<WasmError> for JsValue {
    fn from(error: WasmError) -> Self {
        error.to_js()
    }
}

/// `Result` with a core error converted for JS.
pub fn js_result<T>(result: Result<T, Error>) -> Result<T, JsValue> {
    result.map_err(|e| WasmError::from(e).to_js())
}
