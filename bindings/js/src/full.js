// The full build: config loader and targeting engine (edge workers, Node servers, apps that
// hold rules), plus precomputed payloads and policy bundles.
import * as glue from '../dist/full/tandem_wasm.js';
import { createApi } from './api.js';

export * from './errors.js';
export { REASONS, ERROR_CODES, ERROR_KINDS } from './codes.js';

// Resolved only when `init()` is called without a module: some hosts (workerd) have no file URL.
const api = createApi(glue, () => new URL('../dist/full/tandem_wasm_bg.wasm', import.meta.url));
export const { init, initSync, Client, PolicyBundle, bucketing, buildKind } = api;
