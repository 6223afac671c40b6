import { createReadStream } from 'node:fs';
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
  const lines: string[] = [];
  const reader = createInterface({ input: createReadStream(NYC_COMPLAINTS).pipe(createGunzip()) });
  for await (const line of reader) {
    if (lines.length === 0 || keep(line)) lines.push(line);
    if (lines.length > count) break;
  }
  reader.close();
  return `${lines.join('\n')}\n`;
}
