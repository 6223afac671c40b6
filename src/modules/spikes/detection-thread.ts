import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DetectionRunner, DetectionWork, ReasonResult } from './detection-job';

// `npm start` runs the bundle, where the worker is built beside this chunk as JavaScript;
// tests and `npm run dev` run the sources under tsx.
const BUNDLED = import.meta.url.endsWith('.js');
const WORKER_URL = new URL(
  BUNDLED ? './detection-worker.js' : './detection-worker.ts',
  import.meta.url,
).href;

type Pending = { resolve: (r: ReasonResult[]) => void; reject: (e: Error) => void };

/**
 * Node only: detection runs on worker threads, so fitting thousands of count models never
 * holds the event loop that answers requests. The threads start on first use and stay (they keep the
 * process alive only while they work); reasons are dealt out over them, busiest first.
 */
export function threadDetectionRunner(threads = 2): DetectionRunner {
  const pool: { worker: Worker; pending: Map<number, Pending> }[] = [];
  let nextId = 0;
  const start = () => {
    const worker = BUNDLED ? new Worker(new URL(WORKER_URL)) : workerUnderTsx();
    worker.unref();
    const entry = { worker, pending: new Map<number, Pending>() };
    worker.on('message', ({ id, results }: { id: number; results: ReasonResult[] }) => {
      entry.pending.get(id)?.resolve(results);
      entry.pending.delete(id);
      if (entry.pending.size === 0) worker.unref();
    });
    const fail = (error: Error) => {
      for (const p of entry.pending.values()) p.reject(error);
      entry.pending.clear();
      pool.splice(pool.indexOf(entry), 1);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`detection thread exited with ${code}`)));
    return entry;
  };
  const run = (slot: number, work: DetectionWork) => {
    while (pool.length <= slot) pool.push(start());
    const entry = pool[slot] as (typeof pool)[number];
    const id = nextId++;
    return new Promise<ReasonResult[]>((resolve, reject) => {
      entry.pending.set(id, { resolve, reject });
      entry.worker.ref();
      entry.worker.postMessage({ id, work });
    });
  };
  const runner: DetectionRunner = async (work) => {
    const chunks: DetectionWork[] = Array.from({ length: threads }, () => ({
      calendar: work.calendar,
      reasons: [],
    }));
    [...work.reasons]
      .sort((a, b) => sum(b.counts) - sum(a.counts))
      .forEach((reason, i) => {
        chunks[i % threads]?.reasons.push(reason);
      });
    const results = await Promise.all(
      chunks.map((chunk, slot) => (chunk.reasons.length > 0 ? run(slot, chunk) : [])),
    );
    const byReason = new Map(results.flat().map((r) => [r.reason, r]));
    return work.reasons.map((r) => byReason.get(r.reason) as ReasonResult);
  };
  runner.offThread = true;
  return runner;
}

/** A thread does not inherit the loader `--import tsx` gave the main one: it registers tsx. */
function workerUnderTsx(): Worker {
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  return new Worker(
    `import(${JSON.stringify(tsx)})
      .then((tsx) => tsx.register())
      .then(() => import(${JSON.stringify(WORKER_URL)}));`,
    { eval: true },
  );
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
