// A worker thread's start under tsx (see start-worker.ts). Plain JavaScript, so that it runs
// before tsx is registered; packages are resolved from here, as from any source file.

/** Imports `preload`, registers tsx, then runs `entry`. */
export async function start(entry, preload) {
  for (const name of preload) await import(name);
  const tsx = await import('tsx/esm/api');
  tsx.register();
  await import(entry);
}
