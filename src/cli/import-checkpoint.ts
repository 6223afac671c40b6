import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AnySummarySchema } from './ticket-api-client';

/**
 * Where an import got to, saved after every batch the server acknowledged. A re-run of the
 * same file with the same options and server starts after `linesDone`; ingest is idempotent,
 * so even a batch sent just before a crash and sent again is counted once.
 */
const CheckpointSchema = z.object({
  file: z.string(),
  linesDone: z.number(),
  completed: z.boolean(),
  // Checkpoints written before `repeated` was counted are resumed, not started over.
  summary: AnySummarySchema,
});

export type Checkpoint = z.infer<typeof CheckpointSchema>;

export async function checkpointPath(dir: string, file: string, options: unknown): Promise<string> {
  const info = await stat(file);
  const identity = JSON.stringify([resolve(file), info.size, info.mtimeMs, options]);
  const id = createHash('sha256').update(identity).digest('hex').slice(0, 16);
  return join(dir, `${id}.json`);
}

export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  try {
    return CheckpointSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a checkpoint. */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(checkpoint));
  await rename(`${path}.tmp`, path);
}
