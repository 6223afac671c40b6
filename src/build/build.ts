import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { pgliteSeedPresent } from '../db/pglite-seed';
import { projectFolder } from '../lib/project-folder';
import { writeSwaggerUiDistModule } from './swagger-ui-dist';

/**
 * `npm run build` (run by `npm install` and before `npm start`): the Node entries bundled
 * into `dist/` so a start loads compiled JavaScript, the migrated seed every new embedded
 * database is copied from, and the version and hashes of swagger-ui-dist that /docs on Workers
 * names (bundled by wrangler from src/).
 */
const started = performance.now();
// First: the Node bundle below takes in src/docs, which imports it.
writeSwaggerUiDistModule(projectFolder(''));
const dist = projectFolder('dist');
// Chunks are named by content: the previous build's would pile up.
for (const name of await readdir(dist).catch(() => [])) {
  if (/\.js(\.map)?$/.test(name)) await rm(join(dist, name));
}
await build({
  absWorkingDir: projectFolder(''),
  entryPoints: {
    index: 'src/index.ts',
    'compute-worker': 'src/threads/compute-worker.ts',
    'pglite-worker': 'src/db/pglite-worker.ts',
  },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  jsx: 'automatic',
  sourcemap: true,
  logLevel: 'warning',
});
// PGlite is loaded only when the seed has to be made.
const seeded = !pgliteSeedPresent() && (await (await import('../db/pglite')).buildPgliteSeed());
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`Built dist/ in ${seconds} s${seeded ? ', with the embedded database seed' : ''}.`);
