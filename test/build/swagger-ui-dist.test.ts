import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { swaggerUiDistModule } from '../../src/build/swagger-ui-dist';

const installed = realpathSync(
  dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json')),
);
const installedVersion: string = JSON.parse(
  readFileSync(join(installed, 'package.json'), 'utf8'),
).version;

describe('the build step that gives /docs on Workers the hashes of swagger-ui-dist', () => {
  const projects: string[] = [];
  afterEach(() => {
    for (const project of projects.splice(0)) rmSync(project, { recursive: true, force: true });
  });

  /** A project with the installed swagger-ui-dist, its lockfile pinning `pinned`. */
  function project(pinned: string, patches: string[] = []): string {
    const folder = mkdtempSync(join(tmpdir(), 'forestall-swagger-ui-'));
    projects.push(folder);
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(installed, join(folder, 'node_modules', 'swagger-ui-dist'));
    const lock = { packages: { 'node_modules/swagger-ui-dist': { version: pinned } } };
    writeFileSync(join(folder, 'package-lock.json'), JSON.stringify(lock));
    mkdirSync(join(folder, 'patches'));
    for (const name of patches) writeFileSync(join(folder, 'patches', name), '');
    return folder;
  }

  it('names the pinned version and the sha384 of each file /docs loads', () => {
    const source = swaggerUiDistModule(project(installedVersion, ['postgres+3.4.9.patch']));
    const bundle = readFileSync(join(installed, 'swagger-ui-bundle.js'));
    expect(source).toContain(`version: '${installedVersion}'`);
    expect(source).toContain(
      `'swagger-ui-bundle.js': 'sha384-${createHash('sha384').update(bundle).digest('base64')}'`,
    );
  });

  it('fails when the installed package is not the version package-lock.json pins', () => {
    expect(() => swaggerUiDistModule(project('5.0.0'))).toThrow(
      `node_modules/swagger-ui-dist is ${installedVersion} but package-lock.json pins 5.0.0`,
    );
  });

  it('fails when patch-package changes swagger-ui-dist, which unpkg serves unchanged', () => {
    const patched = project(installedVersion, [`swagger-ui-dist+${installedVersion}.patch`]);
    expect(() => swaggerUiDistModule(patched)).toThrow('patches/ changes swagger-ui-dist');
  });
});
