// An OFREP endpoint (the OpenFeature Remote Evaluation Protocol, ../shared/suites/ofrep):
// `POST /ofrep/v1/evaluate/flags/{key}` evaluates one flag for the request's context, and
// `POST /ofrep/v1/evaluate/flags` evaluates every flag from one `precompute` of that user's
// payload, with an `ETag` of the response body: a request whose `If-None-Match` matches gets
// 304 and no body. `POST /tandem/v1/precompute` returns the payload itself, for Tandem's own
// client build and pure-JS reader. Responses carry only the asking user's results: no
// targeting rules, no other user's data. Works with any `fetch`-style host (workerd, Deno,
// Node 20's `Request`/`Response`).

const JSON_HEADERS = { 'content-type': 'application/json' };

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** A strong ETag of a body: FNV-1a 64 over its bytes (the body names the revision and values). */
function etagOf(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return `"${h.toString(16).padStart(16, '0')}"`;
}

function matches(ifNoneMatch, etag) {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** The request's context, or an OFREP error response (400) for a malformed body. */
async function contextOf(request, key) {
  let body;
  try {
    body = JSON.parse(await request.text());
  } catch {
    return { error: json(400, { ...(key ? { key } : {}), errorCode: 'PARSE_ERROR', errorDetails: 'the request body is not JSON' }) };
  }
  const context = body?.context;
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    return { error: json(400, { ...(key ? { key } : {}), errorCode: 'INVALID_CONTEXT', errorDetails: 'the request body must be an object with a `context` object' }) };
  }
  return { context };
}

/** One flag's OFREP evaluation from Tandem details (or a payload entry). */
function evaluation(d) {
  if (d.errorCode !== undefined) {
    const out = { key: d.key, errorCode: d.errorCode };
    if (d.errorMessage !== undefined) out.errorDetails = d.errorMessage;
    if (d.flagMetadata !== undefined) out.metadata = d.flagMetadata;
    return out;
  }
  const out = { key: d.key, reason: d.reason };
  // Without a variant the caller's default is served: OFREP's code-default flag, no value.
  if (d.variant !== undefined && d.value !== undefined && d.value !== null) {
    out.value = d.value;
    out.variant = d.variant;
  }
  if (d.flagMetadata !== undefined) out.metadata = d.flagMetadata;
  return out;
}

/**
 * A `fetch(request)` handler over a full-build `client` (its config loaded once, by the
 * caller, per isolate). `onEvents(events)`: optional, receives the exposures and decisions
 * that single-flag evaluations log, after each request.
 */
export function createOfrepHandler({ client, onEvents }) {
  return async function handle(request) {
    const url = new URL(request.url);
    const path = url.pathname;
    const single = /^\/ofrep\/v1\/evaluate\/flags\/(.+)$/.exec(path);
    const bulk = path === '/ofrep/v1/evaluate/flags';
    const precompute = path === '/tandem/v1/precompute';
    if (!single && !bulk && !precompute) return json(404, { errorDetails: `no such endpoint: ${path}` });
    if (request.method !== 'POST') return json(405, { errorDetails: 'use POST' }, { allow: 'POST' });
    if (!client.ready) return json(500, { errorDetails: 'no config is loaded' });
    const key = single ? decodeURIComponent(single[1]) : undefined;
    const { context, error } = await contextOf(request, key);
    if (error) return error;

    if (single) {
      const details = client.evaluate(key, context, null);
      if (onEvents) {
        const events = client.drainEvents();
        if (events.length > 0) onEvents(events);
      }
      const body = evaluation(details);
      if (details.errorCode === 'FLAG_NOT_FOUND') return json(404, body);
      return json(details.errorCode === undefined ? 200 : 400, body);
    }

    const payload = client.precompute(context);
    let bytes = payload;
    if (bulk) {
      const parsed = JSON.parse(new TextDecoder().decode(payload));
      const body = { flags: parsed.flags.map(evaluation) };
      if (parsed.metadata) body.metadata = parsed.metadata;
      bytes = new TextEncoder().encode(JSON.stringify(body));
    }
    const etag = etagOf(bytes);
    if (matches(request.headers.get('if-none-match'), etag)) {
      return new Response(null, { status: 304, headers: { etag } });
    }
    return new Response(bytes, { status: 200, headers: { ...JSON_HEADERS, etag } });
  };
}
