// An OpenFeature server provider (`@openfeature/server-sdk`, dynamic context): every resolution
// evaluates one flag for the request's context with the full build's `Client.evaluate`,
// passing only the attributes the config reads.
import { OpenFeatureEventEmitter, ProviderEvents } from '@openfeature/server-sdk';

import { resolution, trackArgs } from './resolution.js';

export class TandemServerProvider {
  /**
   * `options.client`: a full-build Tandem `Client`. `options.load()`: optional, returns (or
   * resolves to) the config to serve, fetched when the SDK initializes the provider: the
   * provider is NOT_READY until it resolves, ERROR (FATAL for a `ProviderFatalError`) when it
   * fails.
   */
  constructor({ client, load } = {}) {
    if (!client) throw new TypeError('TandemServerProvider: `client` is required');
    this.client = client;
    this.load = load;
    this.metadata = { name: 'tandem-server' };
    this.runsOn = 'server';
    this.hooks = [];
    this.events = new OpenFeatureEventEmitter();
  }

  async initialize() {
    if (this.load) this.client.update(await this.load());
  }

  /**
   * Serves a new config: CONFIGURATION_CHANGED on success; on failure the last good config
   * keeps serving, the provider is STALE, and the typed error is thrown.
   */
  update(config) {
    try {
      this.client.update(config);
    } catch (error) {
      this.events.emit(ProviderEvents.Stale, { message: error.message });
      throw error;
    }
    this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: this.client.flagKeys() });
  }

  _resolve(flagKey, defaultValue, context, type) {
    return resolution(this.client.evaluate(flagKey, context ?? {}, defaultValue, { type }));
  }

  async resolveBooleanEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'boolean');
  }

  async resolveStringEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'string');
  }

  async resolveNumberEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'number');
  }

  async resolveObjectEvaluation(flagKey, defaultValue, context) {
    return this._resolve(flagKey, defaultValue, context, 'object');
  }

  track(trackingEventName, context, trackingEventDetails) {
    const [value, properties] = trackArgs(trackingEventDetails);
    this.client.track(trackingEventName, context?.targetingKey, value, properties);
  }
}
