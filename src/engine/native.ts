/**
 * Baton's own native modules (native/aes-gcm, built by `npm ci` through scripts/build-native.mjs):
 * where their files are, and loading one with a clear error when it was not built.
 */
import { existsSync } from 'node:fs';
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
