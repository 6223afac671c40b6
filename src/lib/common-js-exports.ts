/**
 * A CommonJS package's exports, however it was loaded: Node's ESM loader puts them on
 * `default`, bundlers that pick the package's ESM build name them directly. `probe` is an
 * export the package has, to tell the two apart.
 */
export function commonJsExports<T extends object>(namespace: T, probe: keyof T): T {
  const inner: unknown = 'default' in namespace ? namespace.default : undefined;
  return hasExport<T>(inner, probe) ? inner : namespace;
}

// A package may export a function with properties (xss: `module.exports = filterXSS`).
function hasExport<T>(value: unknown, name: PropertyKey): value is T {
  const container = typeof value === 'object' || typeof value === 'function';
  return container && value !== null && name in value;
}
