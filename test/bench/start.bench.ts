import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port';
import { ROOT } from '../helpers/start-entry';

/**
 * npm run bench:start — how long `npm start` takes on a fresh embedded database until it
 * listens, against what a bare PGlite takes to create and open a new database (its initdb),
 * each in a new process, interleaved for BENCH_ROUNDS rounds (default 3). `npm start` is run
 * as a newcomer runs it, through npm (its build included); run `npm install` first.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGET_RATIO = 3;

const BARE_PGLITE = `
const { PGlite } = await import('@electric-sql/pglite');
const db = await PGlite.create(process.argv[1]);
await db.query('select 1');
console.log('ready');
await db.close();`;

/** Milliseconds from spawn to the first output line containing `ready`, then stops it. */
function timeUntil(
  command: string,
  args: string[],
  ready: string,
  env: Record<string, string> = {},
): Promise<number> {
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (!output.includes(ready)) return;
      const elapsed = performance.now() - started;
      child.stdout.off('data', onData);
      // The whole group: npm and the node process it started.
      process.kill(-(child.pid ?? 0), 'SIGTERM');
      child.once('exit', () => resolve(elapsed));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('exit', (code) => {
      if (!output.includes(ready)) reject(new Error(`exited ${code} before ready:\n${output}`));
    });
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const bare: number[] = [];
const forestall: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const dir = await mkdtemp(join(tmpdir(), 'forestall-start-bench-'));
  try {
    bare.push(
      await timeUntil(
        process.execPath,
        ['--input-type=module', '-e', BARE_PGLITE, join(dir, 'bare')],
        'ready',
      ),
    );
    forestall.push(
      await timeUntil('npm', ['start'], 'forestall is listening', {
        DATABASE_URL: `file://${join(dir, 'forestall')}`,
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `round ${round}: bare PGlite create+open ${(bare.at(-1) ?? 0).toFixed(0)} ms, ` +
      `npm start until listening ${(forestall.at(-1) ?? 0).toFixed(0)} ms`,
  );
}
const ratio = median(forestall) / median(bare);
console.log(
  `\nmedian of ${ROUNDS}: bare PGlite ${median(bare).toFixed(0)} ms, npm start ${median(forestall).toFixed(0)} ms`,
);
console.log(
  `${ratio <= TARGET_RATIO ? 'met    ' : 'NOT MET'} npm start on a fresh database within ${TARGET_RATIO}x a bare PGlite's create and open (${ratio.toFixed(2)}x)`,
);
