// Pollers sleep between empty polls; stopping must not wait out the sleep, so a pause can be cut short.

export interface InterruptiblePause {
  /** Resolves after `ms`, or as soon as `interrupt()` is called. */
  pause(ms: number): Promise<void>;
  interrupt(): void;
}

export function interruptiblePause(): InterruptiblePause {
  let wake: (() => void) | undefined;
  return {
    pause: (ms) =>
      new Promise<void>((resolvePause) => {
        const timer = setTimeout(() => resolvePause(), ms);
        wake = () => {
          clearTimeout(timer);
          resolvePause();
        };
      }),
    interrupt: () => wake?.(),
  };
}
