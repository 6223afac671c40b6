// bench:notices's analysts, on a thread of their own (see runAnalytics in notices.bench.ts):
// `clients` closed loops over `paths` until told to stop, then the count, total time and
// statuses of each path.
import { parentPort, workerData } from 'node:worker_threads';

const { base, key, paths, clients } = workerData;
let running = true;
const counts = new Map();

async function client(offset) {
  for (let i = offset; running; i++) {
    const path = paths[i % paths.length];
    const started = performance.now();
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await response.arrayBuffer();
    const entry = counts.get(path) ?? { n: 0, ms: 0, statuses: [] };
    entry.n++;
    entry.ms += performance.now() - started;
    if (!entry.statuses.includes(response.status)) entry.statuses.push(response.status);
    counts.set(path, entry);
  }
}

const done = Promise.all(Array.from({ length: clients }, (_, offset) => client(offset)));
parentPort?.once('message', async () => {
  running = false;
  await done;
  parentPort?.postMessage([...counts]);
});
