// The client build: precomputed payloads and policy bundles, no targeting engine (browsers
// that personalize on-device). `Client.fromConfig` and `update` are not in it.
import * as glue from '../dist/client/tandem_wasm.js';
import { createApi } from './api.js';

export * from './errors.js';
export { REASONS, ERROR_CODES, ERROR_KINDS } from './codes.js';

// Resolved only when `init()` is called without a module: some hosts (workerd) have no file URL.
const api = createApi(glue, () => new URL('../dist/client/tandem_wasm_bg.wasm', import.meta.url));
export const { init, initSync, Client, PolicyBundle, bucketing, buildKind } = api;
