//! Tandem for WebAssembly hosts (DESIGN §7): a wasm-bindgen `Client` over the `tandem` core.
//!
//! This crate is a placeholder in the workspace layout: its surface is built on top of the core
//! once the core's API is settled, and until then it exports nothing.
#![deny(missing_docs)]
