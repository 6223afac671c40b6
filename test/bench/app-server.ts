import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Runs the app (`forestall`, over a bench database) or a bare Hono route (`bare`) in its own
 * process, as it runs in production, so the load generator does not share its event loop.
 */
export async function startAppServer(mode: 'forestall' | 'bare', databaseUrl = '') {
  // BENCH_CPU_PROF=dir writes a CPU profile of each server to look at afterwards.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', ...profile, 'test/bench/serve-app.ts', mode, databaseUrl],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const match = output.match(/PORT (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    /** Stops the server; resolves to its peak resident set size in MB. */
    async stop(): Promise<number> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      return Number(output.match(/MAX_RSS_KB (\d+)/)?.[1] ?? Number.NaN) / 1024;
    },
  };
}
