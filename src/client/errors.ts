/**
 * The errors the client throws for a request naming something the config or the catalog does not
 * know. Each is a UserError (so the CLI prints it as one line) and its own class, so code can
 * tell them apart with `instanceof`; `known` lists what would have been accepted.
 */
import type { BatonConfig } from '../config/load';
import { UserError } from '../model/errors';
import type { AppSpec } from '../model/plan';

function listOf(names: string[]): string {
  return names.join(', ') || 'none';
}

/** An app the config does not list. */
export class UnknownAppError extends UserError {
  constructor(
    readonly app: string,
    readonly known: string[],
    configFile: string,
  ) {
    super(`unknown app "${app}"; apps in ${configFile}: ${listOf(known)}`);
  }
}

/** A node the config does not list. */
export class UnknownNodeError extends UserError {
  constructor(
    readonly node: string,
    readonly known: string[],
    configFile: string,
  ) {
    super(`unknown node "${node}"; nodes in ${configFile}: ${listOf(known)}`);
  }
}

/** A drive the config does not list. */
export class UnknownDriveError extends UserError {
  constructor(
    readonly drive: string,
    readonly known: string[],
    configFile: string,
  ) {
    super(`unknown drive "${drive}"; drives in ${configFile}: ${listOf(known)}`);
  }
}

/** No snapshot of the app matches (none yet, a forgotten one, an ambiguous or unknown prefix): the catalog's reason. */
export class SnapshotNotFoundError extends UserError {
  constructor(
    readonly app: string,
    readonly snapshot: string | null,
    problem: string,
  ) {
    super(problem);
  }
}

/** A config of another cluster than the one the client was connected for. */
export class OtherClusterError extends UserError {
  constructor(
    readonly cluster: string,
    readonly connectedCluster: string,
    configFile: string,
  ) {
    super(
      `${configFile} is the config of cluster ${cluster}, but this client is connected for cluster ${connectedCluster}; ` +
        `connect with that config (BatonClient.connect({ config: '${configFile}' })) to apply it`,
    );
  }
}

/** The app's spec in the config; UnknownAppError when the config does not list `app`. */
export function requireApp(config: BatonConfig, app: string): AppSpec {
  const spec = config.plan.apps.find((a) => a.name === app);
  if (!spec)
    throw new UnknownAppError(
      app,
      config.plan.apps.map((a) => a.name),
      config.file,
    );
  return spec;
}

/** Throws UnknownNodeError unless the config lists `node`. */
export function requireNode(config: BatonConfig, node: string): void {
  const known = config.plan.nodes.map((n) => n.name);
  if (!known.includes(node)) throw new UnknownNodeError(node, known, config.file);
}
