import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ApiReferenceAssets } from './api-reference';

/** Node only: the reference's assets, read from the installed swagger-ui-dist package. */
const FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const folder = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

export const swaggerUiFiles: ApiReferenceAssets = async (name) => {
  const type = FILES[name];
  if (!type) return undefined;
  return { body: new Uint8Array(await readFile(join(folder, name))), type };
};
