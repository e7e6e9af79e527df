// A process killed at an arbitrary point, simulated in-process: every method of the wrapped object may throw a Crash
// before doing anything, at the given rate. Used to show that migrations resume from saved state without changing results.

export class Crash extends Error {}

export function crashing<T extends object>(target: T, rate: () => number): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        Math.random() < rate()
          ? Promise.reject(new Crash(`crash before ${String(property)}`))
          : (value as (...a: unknown[]) => unknown).apply(object, args);
    },
  });
}
