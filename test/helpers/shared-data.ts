import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

/** The real ticket log shared with the project (read-only, never copied into the repo). */
export const NYC_COMPLAINTS = fileURLToPath(
  new URL('../../../shared/data/nyc-council-complaints.csv.gz', import.meta.url),
);

/** The header and the first `count` rows of the shared data set that pass `keep`, as CSV. */
export async function sharedDataHead(
  count: number,
  keep: (line: string) => boolean = () => true,
): Promise<string> {
  // A missing file would otherwise hang the read: the stream's error does not cross the pipe.
  if (!existsSync(NYC_COMPLAINTS)) {
    throw new Error(
      `the shared data set is not at ${NYC_COMPLAINTS} (a checkout next to ../shared)`,
    );
  }
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(NYC_COMPLAINTS).pipe(createGunzip()) });
  for await (const line of reader) {
    if (lines.length === 0 || keep(line)) lines.push(line);
    if (lines.length > count) break;
  }
  reader.close();
  return `${lines.join('\n')}\n`;
}
