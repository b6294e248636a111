# workerd config for the OFREP edge worker. `.ci/js` bundles worker.js (with the SDK) into
# worker.bundle.mjs and copies the full build's wasm to tandem.wasm beside this file's copy.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "ofrep", worker = .ofrepWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "ofrep") ],
);

const ofrepWorker :Workerd.Worker = (
  modules = [
    (name = "worker.bundle.mjs", esModule = embed "worker.bundle.mjs"),
    (name = "tandem.wasm", wasm = embed "tandem.wasm"),
    (name = "flags.json", text = embed "flags.json"),
  ],
  compatibilityDate = "2025-01-01",
);
