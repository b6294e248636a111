//! Tandem for WebAssembly hosts (DESIGN §7): browsers, Node, Deno and edge workers (workerd).
//!
//! A thin wasm-bindgen layer over the `tandem` core, one newtype per core type, files mirroring
//! the core's modules. The idiomatic JavaScript API (typed getters, caches, OpenFeature
//! providers, event delivery) lives in `bindings/js`, which is the only intended caller of
//! these exports: their shapes favour one boundary crossing per operation over convenience.
//!
//! - [`client`]: `Client` — config or precomputed payload, updates, the static-context path
//!   (`setContext`: every flag in one crossing, then `recordRead` on a flag's first read) and
//!   the dynamic-context path (`evaluate`: one flag with the attributes the snapshot reads,
//!   passed as typed values), `precompute`, events, sticky assignments, stats.
//! - [`context`]: the typed-attribute encoding the JS side writes (no JSON text per call).
//! - [`outcome`]: the compact outcome encoding the JS side reads back.
//! - [`snapshot`]: the per-snapshot tables, serialized once per generation.
//! - [`bucketing`] and [`policy`]: DESIGN §4 hashing and §5 policy bundles, for the shared
//!   vectors and on-device decisions.
//! - [`error`]: the core's error kinds as JS errors with stable numeric codes.
//!
//! Host services come from this crate only: the clock is `Date.now` (or a fixed time set by
//! the host) and the entropy that keys the client's hash maps comes from `getrandom`'s
//! `wasm_js` backend (`crypto.getRandomValues`).
//!
//! The `config` feature (default) is the *full* build; without it the *client* build serves
//! precomputed payloads and runs policy bundles, with no targeting engine.
#![deny(missing_docs)]

pub mod bucketing;
pub mod client;
pub mod context;
pub mod error;
pub mod outcome;
pub mod policy;
pub mod snapshot;
mod types;

pub use client::WasmClient;
pub use policy::WasmBundle;

/// Which build this is: `"full"` (config loader and targeting engine) or `"client"`.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = buildKind)]
pub fn build_kind() -> String {
    if cfg!(feature = "config") {
        "full".to_owned()
    } else {
        "client".to_owned()
    }
}
