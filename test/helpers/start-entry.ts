import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './free-port';

export const ROOT = new URL('../..', import.meta.url).pathname;

export type Started = { child: ChildProcess; output: () => string; port: number; url: string };

// What `npm start` runs after its build (global setup builds): one process, so signals reach
// the entry directly.
export const ENTRY = [process.execPath, ['--enable-source-maps', 'dist/index.js']] as const;

/** Starts the Node entry exactly as `npm start` does, with the given environment. */
export async function start(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(ENTRY[0], ENTRY[1], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 30_000;
  while (!output.includes('forestall is listening')) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`not listening after 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { child, output: () => output, port, url: `http://127.0.0.1:${port}` };
}

export async function stop(started: Started, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
  started.child.kill(signal);
  return exited;
}
