/** Run by `npm ci` (prepare) so a fresh clone has the Temporal CLI before its first command. */
import { ensureTemporalCli, temporalCliVersion } from './temporal-cli';

try {
  const path = ensureTemporalCli((line) => console.log(`baton: ${line}`));
  console.log(`baton: Temporal CLI at ${path} (${temporalCliVersion(path).split('\n')[0]})`);
} catch (err) {
  console.error(`baton: ${(err as Error).message}`);
  process.exit(1);
}
