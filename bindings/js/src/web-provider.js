// An OpenFeature web provider (`@openfeature/web-sdk`, static context): the context is set once
// per change (`initialize`, `onContextChange`) and every resolution is a synchronous read of
// the cached results, logging the exposure on a flag's first read.
//
// Serves any Tandem reader with the static-context API: a wasm `Client` (full build with a
// config, client build with a payload) or the pure-JS `PrecomputedReader`. With `payloadFor`,
// a context change fetches that user's payload first (e.g. from the OFREP edge worker's
// precompute endpoint).
import { OpenFeatureEventEmitter, ProviderEvents } from '@openfeature/web-sdk';

import { resolution, trackArgs } from './resolution.js';

export class TandemWebProvider {
  /**
   * `options.client`: the Tandem client or reader. `options.payloadFor(context)`: optional,
   * returns (or resolves to) the payload for a context.
   */
  constructor({ client, payloadFor } = {}) {
    if (!client) throw new TypeError('TandemWebProvider: `client` is required');
    this.client = client;
    this.payloadFor = payloadFor;
    this.metadata = { name: 'tandem-web' };
    this.runsOn = 'client';
    this.hooks = [];
    this.events = new OpenFeatureEventEmitter();
  }

  async initialize(context) {
    await this._apply(context ?? {});
  }

  async onContextChange(_oldContext, newContext) {
    await this._apply(newContext ?? {});
  }

  async _apply(context) {
    if (this.payloadFor) {
      const payload = await this.payloadFor(context);
      this._serve(payload);
    }
    if (typeof this.client.setContext === 'function') this.client.setContext(context);
  }

  /** A payload when payloads are fetched per context, else what the client's `update` takes. */
  _serve(source) {
    if (this.payloadFor && typeof this.client.updatePrecomputed === 'function') {
      this.client.updatePrecomputed(source);
    } else {
      this.client.update(source);
    }
  }

  /**
   * Serves a new config (full build) or payload: CONFIGURATION_CHANGED on success; on
   * failure the last good one keeps serving, the provider is STALE, and the typed error is
   * thrown.
   */
  update(source) {
    try {
      this._serve(source);
    } catch (error) {
      this.events.emit(ProviderEvents.Stale, { message: error.message });
      throw error;
    }
    this.events.emit(ProviderEvents.ConfigurationChanged, {
      flagsChanged: this.client.flagKeys?.(),
    });
  }

  resolveBooleanEvaluation(flagKey, defaultValue) {
    return resolution(this.client.getDetails(flagKey, defaultValue, { type: 'boolean' }));
  }

  resolveStringEvaluation(flagKey, defaultValue) {
    return resolution(this.client.getDetails(flagKey, defaultValue, { type: 'string' }));
  }

  resolveNumberEvaluation(flagKey, defaultValue) {
    return resolution(this.client.getDetails(flagKey, defaultValue, { type: 'number' }));
  }

  resolveObjectEvaluation(flagKey, defaultValue) {
    return resolution(this.client.getDetails(flagKey, defaultValue, { type: 'object' }));
  }

  track(trackingEventName, context, trackingEventDetails) {
    const [value, properties] = trackArgs(trackingEventDetails);
    this.client.track(trackingEventName, context?.targetingKey, value, properties);
  }
}
