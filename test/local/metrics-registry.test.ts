import { afterEach, describe, expect, it } from 'vitest';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { emit, metrics } from '../../lambdas/observability.js';
import { createMetricsRegistry } from '../../local/metrics-registry.js';
import { captureMetrics } from '../../local/metrics-sink.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function clock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

afterEach(() => metrics.clearMetrics());

describe('metrics registry', () => {
  it('reads the EMF documents the shared Metrics instance prints, dimensions included', () => {
    const time = clock(Date.now());
    const registry = createMetricsRegistry({ now: time.now });
    captureMetrics((line) => registry.recordEmf(line));
    metrics.addMetadata('tenantId', 'acme');
    metrics.addMetric('ConversationCreated', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    const single = metrics.singleMetric();
    single.addDimension('tier', 'free');
    single.addMetric('JobsOverflowed', MetricUnit.Count, 7);

    expect(registry.window('ConversationCreated', 60)).toMatchObject({ count: 1, sum: 1 });
    expect(registry.window('JobsOverflowed', 60, { where: { tier: 'free' } })).toMatchObject({ count: 1, sum: 7 });
    expect(registry.window('JobsOverflowed', 60, { where: { tier: 'standard' } })).toMatchObject({ count: 0, sum: 0 });
    expect(registry.dimensions('JobsOverflowed')).toEqual([{ service: 'headroom', tier: 'free' }]);
    // Tenant ids are metadata in EMF, never a dimension, and the registry keeps it that way.
    expect(registry.dimensions('ConversationCreated')).toEqual([{ service: 'headroom' }]);
  });

  it('receives what the recorders emit, a metric of its own and an invocation flush alike', () => {
    const registry = createMetricsRegistry();
    captureMetrics((line) => registry.recordEmf(line));
    emit.placementRefused('fenced');
    emit.commentCreated('acme');
    metrics.publishStoredMetrics();

    expect(registry.window('PlacementRefused', 60, { where: { state: 'fenced' } })).toMatchObject({ count: 1, sum: 1 });
    expect(registry.window('CommentCreated', 60)).toMatchObject({ count: 1, sum: 1 });
    expect(registry.dimensions('CommentCreated')).toEqual([{ service: 'headroom' }]);
  });

  it('buckets per minute and per second, oldest first, with empty buckets for silent ones', () => {
    const time = clock();
    const registry = createMetricsRegistry({ now: time.now });
    registry.record('CommentCreated', 1);
    registry.record('CommentCreated', 1);
    time.advance(61_000);
    registry.record('CommentCreated', 1);
    time.advance(1_000);
    expect(registry.perMinute('CommentCreated', 3).map((bucket) => [bucket.at - T0, bucket.sum])).toEqual([
      [-60_000, 0],
      [0, 2],
      [60_000, 1],
    ]);
    expect(registry.perSecond('CommentCreated', 3).map((bucket) => bucket.count)).toEqual([0, 1, 0]);
    expect(registry.window('CommentCreated', 5).sum).toBe(1);
    expect(registry.window('CommentCreated', 600).sum).toBe(3);
  });

  it('gives percentiles per route from sampled values, merging series that match the filter', () => {
    const time = clock();
    const registry = createMetricsRegistry({ now: time.now });
    for (let ms = 1; ms <= 100; ms++) registry.record('ApiLatency', ms, { route: 'POST /v1/conversations', statusClass: '2xx' });
    registry.record('ApiLatency', 900, { route: 'POST /v1/conversations', statusClass: '5xx' });
    registry.record('ApiLatency', 5, { route: 'GET /healthz', statusClass: '2xx' });
    const post = registry.window('ApiLatency', 60, { where: { route: 'POST /v1/conversations' } });
    expect(post).toMatchObject({ count: 101, p50: 51, p99: 100, max: 900 });
    expect(registry.window('ApiLatency', 60, { where: { statusClass: '5xx' } }).count).toBe(1);
  });

  it('forgets what is older than its window, so memory stays bounded', () => {
    const time = clock();
    const registry = createMetricsRegistry({ now: time.now, minutes: 5, seconds: 10 });
    registry.record('Old', 1, { group: 'a' });
    time.advance(10 * 60_000);
    registry.record('New', 1);
    expect(registry.names()).toEqual(['New']);
    expect(registry.perMinute('Old', 5).every((bucket) => bucket.count === 0)).toBe(true);
  });

  it('keeps a bounded sample per bucket yet exact counts and sums', () => {
    const time = clock();
    const registry = createMetricsRegistry({ now: time.now, samplesPerBucket: 50 });
    for (let i = 0; i < 10_000; i++) registry.record('HeartbeatRoundTripMs', i % 100);
    const all = registry.window('HeartbeatRoundTripMs', 60);
    expect(all).toMatchObject({ count: 10_000, sum: 495_000, max: 99 });
    expect(all.p50).toBeGreaterThan(20);
    expect(all.p50).toBeLessThan(80);
  });

  it('ignores lines that are not EMF', () => {
    const registry = createMetricsRegistry();
    registry.recordEmf('not json');
    registry.recordEmf('{"message":"a log line"}');
    expect(registry.names()).toEqual([]);
  });
});
