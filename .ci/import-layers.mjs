// Fails (exit 1) when folders of src/ import each other in a cycle, or when plumbing imports
// upward. A folder is a directory of src/, with src/modules/<m>/... counted as one folder and
// the files at the top of src/ as '.'. Type-only imports are left out: they vanish at run
// time, and the Deps contract names types of the modules that receive it.
// usage: node .ci/import-layers.mjs [SRC_DIR]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'src');
// Plumbing, lowest first: each may import only the ones before it.
const PLUMBING = ['lib', 'db', 'http'];

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name)) files.push(path);
  }
};
walk(root);

const folderOf = (path) => {
  const parts = relative(root, dirname(path)).split('/');
  return parts[0] === 'modules' ? parts.slice(0, 2).join('/') : parts[0] || '.';
};

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]/gm;
const edges = new Map();
const problems = [];
for (const file of files) {
  const from = folderOf(file);
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    if (match[1]) continue;
    const to = folderOf(`${resolve(dirname(file), match[2])}.ts`);
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    edges.get(from).set(to, relative(root, file));
    const rank = PLUMBING.indexOf(from);
    if (rank >= 0 && PLUMBING.indexOf(to) >= rank) {
      problems.push(`${relative(root, file)} imports ${match[2]}: ${from} is below ${to}`);
    }
    if (rank >= 0 && PLUMBING.indexOf(to) < 0) {
      problems.push(`${relative(root, file)} imports ${match[2]}: plumbing imports no feature`);
    }
  }
}

// deps.ts is the contract every layer receives: types only, so it ties no layer to another.
const contract = readFileSync(join(root, 'deps.ts'), 'utf8');
for (const match of contract.matchAll(/^import\s+(?!type\s)[^;]*?from\s+['"]([^'"]+)['"]/gm)) {
  problems.push(`deps.ts imports ${match[1]} for more than its types: build Deps elsewhere`);
}

// Folders that import each other in a cycle: each strongly connected set of two or more.
const order = new Map();
const low = new Map();
const stack = [];
const visit = (folder) => {
  order.set(folder, order.size);
  low.set(folder, order.get(folder));
  stack.push(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!order.has(next)) visit(next);
    if (stack.includes(next)) low.set(folder, Math.min(low.get(folder), low.get(next)));
  }
  if (low.get(folder) !== order.get(folder)) return;
  const members = stack.splice(stack.indexOf(folder));
  if (members.length < 2) return;
  const ties = members.flatMap((a) =>
    [...(edges.get(a) ?? [])].filter(([b]) => members.includes(b)).map(([b, f]) => `${f} -> ${b}`),
  );
  problems.push(`cycle between ${members.join(', ')}: ${ties.join('; ')}`);
};
for (const folder of edges.keys()) if (!order.has(folder)) visit(folder);

if (problems.length > 0) {
  console.error(`Imports that do not point down (${problems.length}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`import layers: ${edges.size} folders, no cycles, plumbing imports only downward`);
