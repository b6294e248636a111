// The browser example: fetch this user's payload from the edge (the OFREP worker's precompute
// endpoint), serve it with the client build and with the pure-JS reader, decide with a policy
// bundle on the device, and ship events in batches — on `pagehide` with sendBeacon.
// Served from the repository root (`/examples/browser/`); the checks' results are shown in
// the page and left in `window.tandemResults` for the headless test.
import { Client, PolicyBundle, init } from '../../bindings/js/src/client.js';
import { EventDelivery } from '../../bindings/js/src/events.js';
import { PrecomputedReader } from '../../bindings/js/src/reader.js';

const rows = [];
function check(name, got, want) {
  const ok = JSON.stringify(got) === JSON.stringify(want);
  rows.push({ name, got, ok });
  const tr = document.createElement('tr');
  tr.innerHTML = `<td>${name}</td><td><code></code></td><td class="${ok ? 'ok' : 'fail'}">${ok ? 'ok' : `expected ${JSON.stringify(want)}`}</td>`;
  tr.querySelector('code').textContent = JSON.stringify(got);
  document.getElementById('results').append(tr);
}

async function main() {
  const context = { targetingKey: 'browser-user', country: 'SE', age: 31 };
  const response = await fetch('/tandem/v1/precompute', { method: 'POST', body: JSON.stringify({ context }) });
  const payload = new Uint8Array(await response.arrayBuffer());

  await init();
  const client = Client.fromPrecomputed(payload);
  client.setContext(context);
  check('client build: new-checkout', client.getBooleanValue('new-checkout', false), true);
  check('client build: banner-text', client.getStringDetails('banner-text', '').variant, 'long');
  check('client build: unknown flag', client.getBooleanDetails('nope', true).errorCode, 'FLAG_NOT_FOUND');

  const reader = new PrecomputedReader(payload);
  check('pure-JS reader: max-items', reader.getNumberValue('max-items', 0), 50);
  check('pure-JS reader: theme', reader.getObjectValue('theme', {}), { bg: '#000', fg: '#fff' });

  // A policy decision on the device: a sealed bundle from the shared vectors, and its case.
  const vectors = await (await fetch('/testdata/policies.json')).json();
  const example = vectors.cases.find((c) => c.bundle === 'linear-softmax' && c.eligible === null) ?? vectors.cases[0];
  const bundleText = await (await fetch(`/testdata/policies.json`)).text();
  const bundle = new PolicyBundle(rawBundle(bundleText, example.bundle));
  const decision = bundle.decide(example.context, { decisionKey: example.decision_key });
  check(`policy ${example.bundle}: action`, decision.action, example.action);
  check(`policy ${example.bundle}: propensity`, Math.abs(decision.propensity - example.propensity) <= 1e-9, true);

  client.track('page-view', 'browser-user', 1, { path: location.pathname });
  const delivery = new EventDelivery(client, {
    send: (batch) => fetch('/events', { method: 'POST', body: JSON.stringify(batch) }).then((r) => r.ok),
    beaconUrl: '/events',
  }).start();
  window.tandemDelivery = delivery;

  const ok = rows.every((r) => r.ok);
  document.getElementById('status').textContent = ok ? `all ${rows.length} checks passed` : 'some checks FAILED';
  document.getElementById('status').className = ok ? 'ok' : 'fail';
  window.tandemResults = { ok, rows };
}

/** One bundle's text exactly as written (its digest seals the numbers' spelling). */
function rawBundle(text, name) {
  const at = text.indexOf(`"${name}": `) + name.length + 4;
  let depth = 0;
  let inString = false;
  for (let i = at; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(at, i + 1);
  }
  throw new Error(`no bundle ${name}`);
}

main().catch((error) => {
  document.getElementById('status').textContent = `error: ${error.message}`;
  window.tandemResults = { ok: false, error: error.message, rows };
});
