import type { ChildProcess } from 'node:child_process';

/** A child's stdout and stderr as one text, and a wait for a line in it. */
export function childOutput(child: ChildProcess) {
  let output = '';
  const append = (chunk: Buffer | string) => {
    output += chunk;
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return {
    text: () => output,
    /** Resolves once `pattern` shows; throws with the output when the child exits first or
     * `ms` pass (`onTimeout` runs first, e.g. to kill the child). */
    async waitFor(pattern: RegExp, ms: number, what: string, onTimeout = () => {}) {
      const started = performance.now();
      while (!pattern.test(output)) {
        if (child.exitCode !== null)
          throw new Error(`${what} exited ${child.exitCode}:\n${output}`);
        if (performance.now() - started > ms) {
          onTimeout();
          throw new Error(`${what} not ready after ${Math.round(ms / 1000)} s:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return performance.now() - started;
    },
  };
}
