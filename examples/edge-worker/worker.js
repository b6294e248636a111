// Tandem's OFREP edge worker (workerd / Cloudflare Workers): any OpenFeature app reads Tandem
// flags through the stock OFREP providers. The config is loaded once per isolate, on the first
// request; every bulk response is one user's `precompute`d payload, with an ETag.
//
// Modules the host provides (see workerd.capnp): `tandem.wasm` (the full build's wasm, as a
// WebAssembly.Module) and `flags.json` (the config, as text).
import { Client, initSync } from '../../bindings/js/src/full.js';
import { createOfrepHandler } from '../../bindings/js/src/ofrep.js';
import config from './flags.json';
import wasm from './tandem.wasm';

let handle = null;

export default {
  async fetch(request) {
    if (handle === null) {
      initSync(wasm);
      handle = createOfrepHandler({ client: Client.fromConfig(config) });
    }
    return handle(request);
  },
};
