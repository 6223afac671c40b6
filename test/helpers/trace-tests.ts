import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';

// A test stuck in synchronous work (a loop that never awaits a timer, a query inside the
// embedded database) starves the worker's event loop, so its timeout never fires and the
// reporter never hears of it. A synchronous line per step says where a stalled run stopped.
const traceFile = process.env.TEST_TRACE_FILE;

if (traceFile) {
  const trace = (line: string) =>
    appendFileSync(traceFile, `${new Date().toISOString()} pid ${process.pid} ${line}\n`);
  trace(`file ${relative(process.cwd(), expect.getState().testPath ?? '?')}`);
  beforeEach(({ task }) => trace(`start ${task.fullName}`));
  afterEach(({ task }) => trace(`end   ${task.fullName}`));
}
