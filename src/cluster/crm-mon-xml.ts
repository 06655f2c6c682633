/**
 * Reads the XML of `crm_mon --output-as=xml --inactive` (Pacemaker 2.1, api-version 2.x) into
 * Baton's nodes and apps. An app is one configured resource: a group (the usual case), a primitive,
 * a clone or a bundle, named by its Pacemaker id.
 */
import type { AppState, ClusterApp, ClusterNode, NodeState } from '../model/cluster';
import { childNamed, childrenNamed, parseXml, XmlParseError, type XmlElement } from './xml.js';

/** crm_mon answered, but not with a cluster view (cannot reach the CIB, bad CIB_file, ...). */
export class CrmMonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrmMonError';
  }
}

/** An app whose Pacemaker resource is not in the cluster's configuration. */
export class UnknownResourceError extends Error {
  constructor(
    readonly app: string,
    readonly resourceId: string,
    known: readonly string[],
  ) {
    super(
      `app '${app}' maps to Pacemaker resource '${resourceId}', which the cluster does not have ` +
        `(configured resources: ${known.length > 0 ? known.join(', ') : 'none'}); ` +
        `fix clusterService.resources.${app} in Baton's config, or create the resource in Pacemaker`,
    );
    this.name = 'UnknownResourceError';
  }
}

export interface CrmMonView {
  nodes: ClusterNode[];
  /** Every top-level resource id, in crm_mon's order. */
  resourceIds: string[];
  /** All resource elements (group, clone, bundle, resource) by id, at any depth. */
  resources: Map<string, XmlElement>;
  /** Guest nodes (inside a container or VM resource, e.g. a bundle replica) -> that resource's id. */
  guests: Map<string, string>;
}

const CONTAINERS = new Set(['group', 'clone', 'bundle', 'resource']);

/** Parses crm_mon's XML; throws CrmMonError when it reports an error instead of a cluster. */
export function readCrmMon(xml: string): CrmMonView {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    if (e instanceof XmlParseError) throw new CrmMonError(`crm_mon printed XML Baton cannot read: ${e.message}`);
    throw e;
  }
  if (root.name !== 'pacemaker-result') {
    throw new CrmMonError(`crm_mon printed <${root.name}>, expected <pacemaker-result>`);
  }
  const status = childNamed(root, 'status');
  const errors = status ? childrenNamed(childNamed(status, 'errors') ?? status, 'error').map((e) => e.text.trim()) : [];
  const nodesEl = childNamed(root, 'nodes');
  // A CIB_file that does not exist gives code 0 with an error and no <nodes>: nodes decide.
  if (status?.attrs.code !== '0' || !nodesEl) {
    const what = status ? `code ${status.attrs.code} (${status.attrs.message})` : 'no status';
    throw new CrmMonError(`crm_mon reported ${what}${errors.length > 0 ? ': ' + errors.join('; ') : ''}`);
  }
  // Guest nodes are not machines Baton runs on: they are left out, and resolved to their host.
  const guests = new Map<string, string>();
  const nodes: ClusterNode[] = [];
  for (const n of childrenNamed(nodesEl, 'node')) {
    const name = n.attrs.name ?? `id:${n.attrs.id}`;
    if (n.attrs.id_as_resource !== undefined) guests.set(name, n.attrs.id_as_resource);
    else nodes.push({ name, state: nodeState(n) });
  }
  const resourcesEl = childNamed(root, 'resources');
  const top = resourcesEl ? resourcesEl.children.filter((c) => CONTAINERS.has(c.name)) : [];
  const resources = new Map<string, XmlElement>();
  const index = (el: XmlElement): void => {
    if (el.name === 'replica') return el.children.forEach(index);
    if (!CONTAINERS.has(el.name)) return;
    const id = el.attrs.id;
    if (id !== undefined && !resources.has(id)) resources.set(id, el);
    el.children.forEach(index);
  };
  top.forEach(index);
  return { nodes, resourceIds: top.map((el) => el.attrs.id ?? ''), resources, guests };
}

/** online+standby -> standby; offline and unclean (not yet fenced) -> unknown; pending -> unknown. */
function nodeState(n: XmlElement): NodeState {
  const a = n.attrs;
  if (a.online === 'true') {
    if (a.pending === 'true') return 'unknown';
    return a.standby === 'true' || a.standby_onfail === 'true' ? 'standby' : 'online';
  }
  if (a.online === 'false') return a.unclean === 'true' ? 'unknown' : 'offline';
  return 'unknown';
}

/** The cluster nodes a resource instance runs on: a guest node resolves to its container's node. */
function physicalNodes(view: CrmMonView, r: XmlElement, depth = 0): string[] {
  return childrenNamed(r, 'node').flatMap((n) => {
    const name = n.attrs.name ?? '';
    const container = view.guests.get(name);
    const el = container === undefined ? undefined : view.resources.get(container);
    if (el === undefined || depth > 3) return [name];
    return physicalNodes(view, el, depth + 1);
  });
}

/** Builds one app from its resource element. See docs/cluster.md for the rules. */
export function appFromResource(name: string, el: XmlElement, view: CrmMonView): ClusterApp {
  const instances = primitivesOf(el);
  const running = instances.filter(
    (r) => r.attrs.active === 'true' && (r.attrs.role === 'Started' || r.attrs.role === 'Promoted'),
  );
  const hostsOf = (rs: XmlElement[]): string[] => [...new Set(rs.flatMap((r) => physicalNodes(view, r)))];
  const promoted = instances.filter((r) => r.attrs.role === 'Promoted');
  const hosts = hostsOf(promoted.length > 0 ? promoted : running);
  const host = hosts.length === 1 ? hosts[0] : null;
  const failed = instances.some((r) => r.attrs.failed === 'true');
  const isClone = el.name === 'clone' || el.name === 'bundle';
  // A group is started when all its members run on one node; a clone when any instance runs.
  const complete = isClone ? running.length > 0 : running.length === instances.length && instances.length > 0;
  let state: AppState;
  if (failed) state = 'failed';
  else if (running.length === 0 && instances.every((r) => r.attrs.active !== 'true')) state = 'stopped';
  else if (complete && (isClone || host !== null)) state = 'started';
  else state = 'moving';
  return { name, host, state };
}

/** The primitive <resource> elements under (or equal to) a resource element. */
function primitivesOf(el: XmlElement): XmlElement[] {
  if (el.name === 'resource') return [el];
  return el.children.filter((c) => CONTAINERS.has(c.name) || c.name === 'replica').flatMap(primitivesOf);
}

/**
 * The apps of a view. `apps` maps app name -> resource id; when absent, every top-level resource
 * is an app named after its id. Throws UnknownResourceError for a mapped id the cluster lacks.
 */
export function appsOf(view: CrmMonView, apps?: ReadonlyMap<string, string>): ClusterApp[] {
  const wanted = apps ?? new Map(view.resourceIds.map((id) => [id, id]));
  return [...wanted].map(([name, id]) => {
    const el = view.resources.get(id);
    if (!el) throw new UnknownResourceError(name, id, view.resourceIds);
    return appFromResource(name, el, view);
  });
}
