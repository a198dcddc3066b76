/**
 * Where progress goes: on a terminal, one line redrawn in place (`\r`, clear to the end of the line, cut to the
 * terminal's width); anywhere else (a log file, CI), a plain line at once when the status changes, at most every
 * `plainEveryMs` while the numbers move, and every `quietEveryMs` while nothing moves (waiting for an approval),
 * so a log stays short and readable.
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What the line shows, without the clock: a plain line is printed for a change, not for time passing. */
export interface ProgressState {
  status: string;
  progress: string;
}

export interface ProgressLine {
  /** The latest progress line and what it shows. */
  update(line: string, state?: ProgressState): void;
  /** A message of its own, on its own line (the progress line is redrawn by the next update). */
  note(message: string): void;
  /** Ends the redrawn line, or prints the last plain line if it was not printed yet. */
  finish(): void;
}

export function progressLine(
  stream: ProgressStream,
  options: { plainEveryMs?: number; quietEveryMs?: number; now?: () => number } = {},
): ProgressLine {
  const now = options.now ?? Date.now;
  const plainEveryMs = options.plainEveryMs ?? 5000;
  const quietEveryMs = options.quietEveryMs ?? 60_000;
  let shown = false;
  let pending: string | undefined;
  let lastPrintedAt = -Infinity;
  let printed: ProgressState | undefined;

  if (stream.isTTY) {
    const clear = () => {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    };
    return {
      update(line) {
        const width = stream.columns && stream.columns > 10 ? stream.columns - 1 : undefined;
        stream.write(`\r${width && line.length > width ? `${line.slice(0, width - 1)}…` : line}\x1b[K`);
        shown = true;
      },
      note(message) {
        clear();
        stream.write(`${message}\n`);
      },
      finish() {
        if (shown) stream.write('\n');
        shown = false;
      },
    };
  }

  return {
    update(line, state) {
      const since = now() - lastPrintedAt;
      const due =
        !printed ||
        !state ||
        state.status !== printed.status ||
        (state.progress !== printed.progress ? since >= plainEveryMs : since >= quietEveryMs);
      if (due) {
        stream.write(`${line}\n`);
        lastPrintedAt = now();
        printed = state ?? printed;
        pending = undefined;
      } else {
        pending = line;
      }
    },
    note(message) {
      stream.write(`${message}\n`);
    },
    finish() {
      if (pending !== undefined) stream.write(`${pending}\n`);
      pending = undefined;
    },
  };
}
