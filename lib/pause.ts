/** A loop's idle wait that can be cut short: by stop(), or by new work arriving. */
export interface WakeablePause {
  /** Resolves after `ms`, or as soon as wake() is called. */
  pause(ms: number): Promise<void>;
  /** Ends the pause in progress, if any. */
  wake(): void;
}

export function wakeablePause(): WakeablePause {
  let end: (() => void) | undefined;
  return {
    pause(ms) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          end = undefined;
          resolve();
        }
        end = done;
      });
    },
    wake() {
      end?.();
    },
  };
}
