/**
 * Where progress goes: on a terminal, one line redrawn in place (`\r`, clear to the end of the line, cut to the
 * terminal's width); anywhere else (a log file, CI), a plain line every `plainEveryMs` and whenever the status
 * changes, so a log stays readable.
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressLine {
  /** The latest progress; `key` (the status) forces a plain line when it changes. */
  update(line: string, key?: string): void;
  /** A message of its own, on its own line (the progress line is redrawn by the next update). */
  note(message: string): void;
  /** Ends the redrawn line, or prints the last plain line if it was not printed yet. */
  finish(): void;
}

export function progressLine(stream: ProgressStream, options: { plainEveryMs?: number; now?: () => number } = {}): ProgressLine {
  const now = options.now ?? Date.now;
  const plainEveryMs = options.plainEveryMs ?? 5000;
  let shown = false;
  let pending: string | undefined;
  let lastPrintedAt = -Infinity;
  let lastKey: string | undefined;

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
    update(line, key) {
      const changed = key !== undefined && key !== lastKey;
      lastKey = key ?? lastKey;
      if (changed || now() - lastPrintedAt >= plainEveryMs) {
        stream.write(`${line}\n`);
        lastPrintedAt = now();
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
