// The OpenFeature provider behind every `client.getBooleanValue(...)` in Headroom: flagd semantics evaluated
// in-process from the flag cache. With no copy of the flags at all (cold start while the store is down) every
// evaluation returns the code's default with reason ERROR, so code paths stay on their safe defaults.
import type { EvaluationContext, JsonValue, Provider, ResolutionDetails } from '@openfeature/server-sdk';
import { ErrorCode, StandardResolutionReasons } from '@openfeature/server-sdk';
import type { FlagCache } from './flag-cache.js';

type Kind = 'boolean' | 'string' | 'number' | 'object';

export class HeadroomFlagProvider implements Provider {
  readonly metadata = { name: 'headroom-control-table' } as const;
  readonly runsOn = 'server' as const;

  constructor(private readonly cache: FlagCache) {}

  private async resolve<T extends boolean | string | number | JsonValue>(
    kind: Kind,
    key: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<ResolutionDetails<T>> {
    const core = await this.cache.evaluator();
    if (!core) {
      return {
        value: defaultValue,
        reason: StandardResolutionReasons.ERROR,
        errorCode: ErrorCode.PROVIDER_NOT_READY,
        errorMessage: 'no copy of the flag definitions could be loaded yet',
      };
    }
    return core.resolve(kind, key, defaultValue, context) as ResolutionDetails<T>;
  }

  resolveBooleanEvaluation(key: string, defaultValue: boolean, context: EvaluationContext) {
    return this.resolve('boolean', key, defaultValue, context);
  }

  resolveStringEvaluation(key: string, defaultValue: string, context: EvaluationContext) {
    return this.resolve('string', key, defaultValue, context);
  }

  resolveNumberEvaluation(key: string, defaultValue: number, context: EvaluationContext) {
    return this.resolve('number', key, defaultValue, context);
  }

  resolveObjectEvaluation<T extends JsonValue>(key: string, defaultValue: T, context: EvaluationContext) {
    return this.resolve('object', key, defaultValue, context);
  }
}
