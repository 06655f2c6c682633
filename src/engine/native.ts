/**
 * Baton's own native modules (native/aes-gcm, built by `npm ci` through scripts/build-native.mjs):
 * where their files are, and loading one with a clear error when it was not built; and the napi-rs
 * packages it uses (BLAKE3, xattrs), loaded without their loaders' process report.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The file of native module `name` (native/aes-gcm/build/Release/<name>.node). */
export function nativeFile(name: string): string {
  return join(__dirname, '..', '..', '..', 'native', 'aes-gcm', 'build', 'Release', `${name}.node`);
}

/** Native module `name`, loaded; `what` names it in the error when its file is missing. */
export function loadNative<T>(name: string, what: string): T {
  const file = nativeFile(name);
  if (!existsSync(file)) {
    throw new Error(
      `Baton's ${what} module is not built (${file}); run \`npm ci\` or \`node scripts/build-native.mjs\``,
    );
  }
  const module = { exports: {} as T };
  process.dlopen(module, file);
  return module.exports;
}

/**
 * A napi-rs package (`@napi-rs/blake-hash`, `@napi-rs/xattr`). The package's own loader tells a
 * glibc Linux from a musl one by making a full process report (`process.report.getReport()`:
 * loading BLAKE3 and xattrs took 10-11 ms with it and 3.7 ms without, in every thread that loads
 * them, of a command's some 50 ms start-up). On Linux the glibc
 * build is required by its package name first; where it is missing or does not load (musl), the
 * package's loader decides as before.
 */
export function napiPackage<T>(name: string): T {
  const load = createRequire(__filename);
  if (process.platform === 'linux') {
    try {
      return load(`${name}-linux-${process.arch}-gnu`) as T;
    } catch {
      // not installed here, or not loadable (a musl system): the package's loader chooses
    }
  }
  return load(name) as T;
}
