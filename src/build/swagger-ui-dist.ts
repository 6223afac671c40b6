import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The files of swagger-ui-dist that /docs loads. */
export const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

/** Where `npm run build` writes what /docs on Workers knows of the installed swagger-ui-dist. */
export const SWAGGER_UI_DIST_MODULE = 'src/docs/swagger-ui-dist.generated.ts';

/**
 * The source of that module: the installed version, which /docs on Workers loads from unpkg,
 * and the Subresource Integrity (sha384) of each file it loads, which the browser checks the
 * CDN's bytes against. Both come from the installed package in one step, so they cannot
 * disagree; throws when the CDN would not serve those same bytes: the installed package is
 * not the one package-lock.json pins (whose bytes npm checked), or patch-package changes it.
 */
export function swaggerUiDistModule(project: string): string {
  const folder = join(project, 'node_modules', 'swagger-ui-dist');
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8'));
  const pinned: unknown = lock.packages?.['node_modules/swagger-ui-dist']?.version;
  const installed: unknown = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')).version;
  if (typeof installed !== 'string' || installed !== pinned) {
    throw new Error(
      `node_modules/swagger-ui-dist is ${installed} but package-lock.json pins ${pinned}: run npm ci`,
    );
  }
  const patches = join(project, 'patches');
  if (existsSync(patches) && readdirSync(patches).some((n) => n.startsWith('swagger-ui-dist+'))) {
    throw new Error(
      'patches/ changes swagger-ui-dist, but /docs on Workers loads it unchanged from unpkg',
    );
  }
  const integrity = SWAGGER_UI_FILES.map((name) => {
    const digest = createHash('sha384')
      .update(readFileSync(join(folder, name)))
      .digest('base64');
    return `    '${name}': 'sha384-${digest}',\n`;
  });
  return [
    `// Written by \`npm run build\` (src/build/swagger-ui-dist.ts) from the installed package.\n`,
    'export const SWAGGER_UI_DIST = {\n',
    `  version: '${installed}',\n`,
    `  integrity: {\n${integrity.join('')}  },\n`,
    '} as const;\n',
  ].join('');
}

/** Writes the module for the project's installed swagger-ui-dist; returns whether it changed. */
export function writeSwaggerUiDistModule(project: string): boolean {
  const path = join(project, SWAGGER_UI_DIST_MODULE);
  const source = swaggerUiDistModule(project);
  if (existsSync(path) && readFileSync(path, 'utf8') === source) return false;
  writeFileSync(path, source);
  return true;
}
