import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFERRED_APOLLO_DEPENDENCIES, deferredModule } from './deferred-apollo-dependencies';

const run = promisify(execFile);
const GATEWAY_DIR = path.resolve(__dirname, '..');

describe('deferredModule', () => {
  test('when nothing of a deferred module is used, then it is never loaded', () => {
    const load = jest.fn(() => ({ compose: () => 'composed' }));

    deferredModule(load);

    expect(load).not.toHaveBeenCalled();
  });

  test('when its exports are used, then the module is loaded once and they are the real ones', () => {
    const real = { compose: (name: string) => `composed ${name}`, VERSION: 2 };
    const load = jest.fn(() => real);
    const deferred = deferredModule(load) as typeof real;

    expect(deferred.compose('a')).toBe('composed a');
    expect(deferred.VERSION).toBe(2);
    expect('compose' in deferred).toBe(true);
    expect(load).toHaveBeenCalledTimes(1);
  });

  test('when compiled TypeScript copies its exports (import * as), then the copy has the real ones', () => {
    const real = { compose: () => 'composed', VERSION: 2 };
    const deferred = deferredModule(() => real);
    // What tsc's __importStar does with a CommonJS module.
    const copy: Record<string, unknown> = {};
    for (const key in deferred)
      if (Object.prototype.hasOwnProperty.call(deferred, key)) copy[key] = (deferred as Record<string, unknown>)[key];

    expect(copy).toEqual(real);
    expect(Object.keys(deferred)).toEqual(['compose', 'VERSION']);
  });
});

describe('the compiled gateway’s Apollo Gateway', () => {
  // A process of its own: jest loads modules its own way, past Node's require.
  const inProcess = async (script: string) =>
    JSON.parse((await run(process.execPath, ['-e', script], { cwd: GATEWAY_DIR })).stdout) as Record<string, unknown>;
  const loadedPackages = `Object.keys(require.cache).flatMap((file) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(?!.*node_modules)/.exec(file)?.slice(1) ?? [])`;

  test('when it loads, then the packages it needs only for features left off are not loaded', async () => {
    const result = await inProcess(`
      require('./dist/deferred-apollo-dependencies');
      require('@apollo/gateway');
      console.log(JSON.stringify({ loaded: [...new Set(${loadedPackages})] }));
    `);

    const loaded = result.loaded as string[];
    expect(loaded).toContain('@apollo/query-planner');
    expect(loaded.filter((name) => DEFERRED_APOLLO_DEPENDENCIES.has(name))).toEqual([]);
  });

  test('when a feature that needs one runs (composing a supergraph), then it loads and works', async () => {
    const result = await inProcess(`
      require('./dist/deferred-apollo-dependencies');
      const { LocalCompose } = require('@apollo/gateway');
      const { parse } = require('graphql');
      const compose = new LocalCompose({ localServiceList: [{ name: 'hello', url: 'http://hello', typeDefs: parse('type Query { hello: String }') }] });
      compose.initialize({ update() {}, healthCheck: async () => {}, getDataSource: () => ({}) }).then(({ supergraphSdl }) => {
        console.log(JSON.stringify({ composed: supergraphSdl.includes('hello: String'), loaded: [...new Set(${loadedPackages})] }));
      });
    `);

    expect(result.composed).toBe(true);
    expect(result.loaded).toContain('@apollo/composition');
  });
});
