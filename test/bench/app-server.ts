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
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk) => {
      text += chunk;
      const match = text.match(/PORT (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    async peakRssMb() {
      const body = (await (await fetch(`${base}/__bench/rss`)).json()) as { max_rss_kb: number };
      return body.max_rss_kb / 1024;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
