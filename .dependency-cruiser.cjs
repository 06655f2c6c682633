// The rooms of src/ and the arrows allowed between them (docs/architecture.md explains each).
// `npm run lint` runs `depcruise src`; a forbidden import fails it with the rule's name and
// comment. Rooms import downward only:
//
//   cli -> drill -> demo -> client -> workflows (messages) -> model
//   workers -> activities -> metrics -> catalog -> model; activities -> engine | cluster | config -> model
//
// Every room may use util (generic helpers) and log; model uses nothing of Baton.
'use strict';

const ROOMS = [
  'model',
  'util',
  'log',
  'engine',
  'catalog',
  'cluster',
  'config',
  'workflows',
  'activities',
  'metrics',
  'client',
  'devtools',
  'workers',
  'demo',
  'drill',
  'cli',
];

/**
 * A rule: files of room `from` import nothing in src/ outside their own room and `allowed`, besides
 * the single files `files` (paths under src/, as regular expressions).
 */
function only(from, allowed, comment, files = []) {
  return {
    name: `${from}-imports-only-${allowed.length ? allowed.join('-') : 'itself'}`,
    severity: 'error',
    comment,
    from: { path: `^src/${from}/` },
    to: { path: '^src/', pathNot: [`^src/(${[from, ...allowed].join('|')})/`, ...files.map((f) => `^src/${f}$`)] },
  };
}

/** A rule: files of room `from` import no npm package whose resolved path matches `packages`. */
function noPackages(from, name, packages, comment) {
  return {
    name: `${from}-${name}`,
    severity: 'error',
    comment,
    from: { path: `^src/${from}/` },
    to: { path: `node_modules/${packages}` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: two modules that need each other belong in one, or share a lower one.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-in-a-room',
      severity: 'error',
      comment: `Every file of src/ lives in one of the rooms (${ROOMS.join(', ')}); docs/architecture.md says which.`,
      from: { path: '^src/', pathNot: `^src/(${ROOMS.join('|')})/` },
      to: {},
    },

    only('model', [], "The model is Baton's words for every room: it imports nothing of Baton."),
    noPackages(
      'model',
      'imports-only-temporalio-common',
      '@temporalio/(?!common/)',
      'The model runs inside workflows: only @temporalio/common (search attribute keys) is allowed.',
    ),
    only('util', [], 'util holds generic helpers with no Baton words: it imports nothing of Baton.'),
    only('log', [], 'The logger imports nothing of Baton.'),

    only('engine', ['model'], 'The data engine knows nothing of Temporal, the catalog, the cluster or the node.'),
    noPackages('engine', 'imports-nothing-of-temporal', '@temporalio/', 'The data engine knows nothing of Temporal.'),
    only('catalog', ['model'], 'The catalog is a lower room: it imports only the model.'),
    noPackages('catalog', 'imports-nothing-of-temporal', '@temporalio/', 'The catalog knows nothing of Temporal.'),
    only('cluster', ['model'], 'Cluster adapters are a lower room: they import only the model.'),
    noPackages('cluster', 'imports-nothing-of-temporal', '@temporalio/', 'Cluster adapters know nothing of Temporal.'),
    only('config', ['model'], 'The config loader is a lower room: it imports only the model.'),
    noPackages(
      'config',
      'imports-nothing-of-temporal-but-envconfig',
      '@temporalio/(?!envconfig/)',
      "The config loader knows nothing of Temporal but Temporal's own client configuration (@temporalio/envconfig).",
    ),

    only(
      'workflows',
      ['model', 'activities'],
      'Workflow code is bundled into the deterministic sandbox: it imports the model, its own folder and (as types) activities.',
    ),
    {
      name: 'workflows-import-activities-as-types-only',
      severity: 'error',
      comment:
        'Workflows call activities through proxyActivities: `import type` only, or the activity code (Node built-ins, drivers) lands in the workflow bundle.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'workflows-import-no-node-builtins',
      severity: 'error',
      comment: 'Workflow code must be deterministic: no Node built-ins in src/workflows. Use an activity.',
      from: { path: '^src/(workflows|model)/' },
      to: { dependencyTypes: ['core'] },
    },
    noPackages(
      'workflows',
      'imports-only-temporalio-workflow-common',
      '(?!@temporalio/(workflow|common)/)',
      'Workflow code imports only @temporalio/workflow and @temporalio/common from npm.',
    ),

    only(
      'metrics',
      ['model', 'util', 'log', 'catalog'],
      'Metric definitions and the monitoring endpoint: activities record into them, the node process serves them; they read only the catalog.',
    ),
    noPackages(
      'metrics',
      'imports-nothing-of-temporal',
      '@temporalio/',
      'Metrics know nothing of Temporal: the node process wires the runtime in.',
    ),
    only(
      'activities',
      ['model', 'util', 'log', 'engine', 'catalog', 'cluster', 'config', 'workflows', 'metrics'],
      'Activities are thin bindings of the engine, catalog and cluster; they never import the node process, the client or the CLI, ' +
        'besides the updates scheduled runs and ending jobs send to the coordinator, sent as the CLI sends them.',
      ['client/coordinator-update\\.ts', 'client/draining\\.ts'],
    ),
    {
      name: 'activities-import-only-messages-from-workflows',
      severity: 'error',
      comment: 'Activities signal workflows through the message definitions; the workflow code itself stays out.',
      from: { path: '^src/activities/' },
      to: { path: '^src/workflows/', pathNot: '^src/workflows/messages\\.ts$' },
    },
    only(
      'client',
      ['model', 'util', 'config', 'catalog', 'workflows'],
      'The client (start, follow, query) sits under the CLI, the demo and the drills; it never imports them.',
    ),
    {
      name: 'client-imports-only-messages-from-workflows',
      severity: 'error',
      comment: 'The client talks to workflows through their message definitions and types, not their code.',
      from: { path: '^src/client/' },
      to: { path: '^src/workflows/', pathNot: '^src/workflows/messages\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    only('devtools', ['model', 'util'], 'Dev tooling (the dev server and the Temporal CLI installer) stands alone.'),
    only(
      'workers',
      ['model', 'util', 'log', 'engine', 'catalog', 'cluster', 'config', 'workflows', 'activities', 'metrics'],
      'The node process wires the lower rooms together; the CLI, the demo and the drills start it, never the reverse.',
    ),
    only(
      'demo',
      ['model', 'util', 'log', 'cluster', 'config', 'client', 'devtools'],
      'The demo cluster drives the cluster through the client and its own files; the drills sit above it.',
    ),
    only(
      'drill',
      ['model', 'util', 'log', 'engine', 'catalog', 'cluster', 'config', 'client', 'demo', 'workflows'],
      'The drills run on the demo cluster or a live Pacemaker one (read through its adapter); the CLI sits above them.',
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
