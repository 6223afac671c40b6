import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The page origin bench:notices' browser requests come from; the bench server allows it. */
export const BENCH_BROWSER_ORIGIN = 'https://app.example.com';

// Linux reports a process's CPU time in /proc in ticks of USER_HZ, 100 a second on x86 Linux.
const USER_HZ = 100;

/**
 * The CPU time (user and system) process `pid` has used, in ms, or only its main thread's
 * (whose thread id is the pid); NaN without Linux's /proc.
 */
function cpuMillis(pid: number | undefined, thread: 'all' | 'main' = 'all'): number {
  try {
    const path = thread === 'main' ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`;
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs the app (`forestall`, over a bench database) or a bare Hono route (`bare`) in its own
 * process, as it runs in production, so the load generator does not share its event loop.
 */
export async function startAppServer(mode: 'forestall' | 'bare', databaseUrl = '') {
  // BENCH_CPU_PROF=dir writes a CPU profile of each server to look at afterwards.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  // BENCH_TRACE_GC=1 prints the server's garbage collections (stderr), beside the event loop's
  // delay of BENCH_LOOP_DELAY=1: which pause held the loop.
  const traceGc = process.env.BENCH_TRACE_GC === '1' && mode === 'forestall';
  const child: ChildProcess = spawn(
    process.execPath,
    // The flags `npm start` gives the server (package.json), so the bench runs what ships.
    [
      '--max-semi-space-size=64',
      '--import',
      'tsx',
      ...profile,
      ...(traceGc ? ['--trace-gc'] : []),
      'test/bench/serve-app.ts',
      mode,
      databaseUrl,
    ],
    // Its own session, as a service runs: Linux's autogroups share the CPU between sessions
    // (Postgres has its own), not between the bench's processes within one.
    { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  // Its process group, so nothing outlives the bench (Ctrl-C no longer reaches a new session).
  const stopGroup = () => {
    if (child.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGTERM');
  };
  process.once('exit', stopGroup);
  // Ctrl-C exits through 'exit', so every server started here is stopped with the bench.
  if (process.listenerCount('SIGINT') === 0) process.once('SIGINT', () => process.exit(130));
  let output = '';
  // Only the tail is kept: at BENCH_LOG_LEVEL=info the server logs every request.
  child.stdout?.on('data', (chunk) => {
    output = (output + chunk).slice(-4096);
    if (traceGc) {
      for (const line of String(chunk).split('\n')) {
        if (/Scavenge|Mark-Compact/.test(line)) process.stderr.write(`gc: ${line.trim()}\n`);
      }
    }
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
    /** CPU time the server has used so far, in ms (10 ms resolution). */
    cpuMillis: () => cpuMillis(child.pid),
    /** CPU time of the thread that answers requests alone (not the compute threads). */
    mainThreadCpuMillis: () => cpuMillis(child.pid, 'main'),
    /** Stops the server; resolves to its peak resident set size in MB. */
    async stop(): Promise<number> {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      stopGroup();
      await exited;
      return Number(output.match(/MAX_RSS_KB (\d+)/)?.[1] ?? Number.NaN) / 1024;
    },
  };
}

/**
 * A function calling the bench server's API as `key` (or another key per call), resolving to
 * the answer's body; any answer but a 2xx stops the bench with its status.
 */
export function apiCaller(base: string, key: string) {
  return async (path: string, init: RequestInit = {}, as = key) => {
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${as}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
    const body = await response.text();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${body.slice(0, 300)}`);
    return body;
  };
}

/** The light calls whose latency shows whether heavy work left the request thread free. */
export function lightCalls(base: string, appKey: string) {
  return {
    health: () => fetch(`${base}/health`).then((r) => r.text()),
    notices: () =>
      fetch(`${base}/v1/accounts/bench-account/notices`, {
        headers: { authorization: `Bearer ${appKey}` },
      }).then((r) => r.text()),
  };
}

/** Times `call` again and again, 10 ms apart, into `samples` until `done()`. */
async function probeUntil(call: () => Promise<unknown>, done: () => boolean, samples: number[]) {
  while (!done()) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

type LightCalls = ReturnType<typeof lightCalls>;
/** Each light call's latencies, in ms. */
export type LightSamples = Record<keyof LightCalls, number[]>;

/** The light calls' latency with nothing else running: `times` calls of each, in turn. */
export async function idleLatency(light: LightCalls, times = 100): Promise<LightSamples> {
  const idle: LightSamples = { health: [], notices: [] };
  for (let i = 0; i < times; i++) {
    for (const name of ['health', 'notices'] as const) {
      const started = performance.now();
      await light[name]();
      idle[name].push(performance.now() - started);
    }
  }
  return idle;
}

/** Times each light call over and over (see `probeUntil`) into `samples` until `stop()`. */
export function probeLight(light: LightCalls) {
  let done = false;
  const samples: LightSamples = { health: [], notices: [] };
  const probes = [
    probeUntil(light.health, () => done, samples.health),
    probeUntil(light.notices, () => done, samples.notices),
  ];
  return {
    samples,
    async stop() {
      done = true;
      await Promise.all(probes);
    },
  };
}
