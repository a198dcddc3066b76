/**
 * promtool, which checks and unit-tests the alert rules (config/prometheus). Debian's `prometheus` package ships it on
 * PATH; otherwise it is built once with `go install` like the Temporal CLI.
 */
import { ensureGoBinary } from './go-binary';

/** Prometheus' Go module versions are v0.<minor>.<patch> for release 3.<minor>.<patch>. */
export const PROMTOOL_MODULE = 'github.com/prometheus/prometheus/cmd/promtool@v0.316.0';

export function ensurePromtoolBinary(log: (message: string) => void): Promise<string> {
  return ensureGoBinary(
    {
      name: 'promtool',
      label: 'promtool',
      usedBy: 'npm test',
      module: PROMTOOL_MODULE,
      envVar: 'PROMTOOL_BIN',
      fromPath: true,
      alternatives: ["install Debian's prometheus package, which ships promtool: apt-get install prometheus"],
    },
    log,
  );
}
