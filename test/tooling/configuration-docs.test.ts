/**
 * docs/configuration.md is generated from the services' config schemas (`npm run docs:config`):
 * these tests fail when the committed file and the schemas disagree, when a variable a service
 * reads is missing from it, and when a variable has no description.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { env } from '@fedshop/shared/config';
import {
  CONFIGURATION_DOC,
  describeAccepted,
  renderConfigurationDoc,
  SERVICE_ENVIRONMENTS,
  TOOLING_VARIABLES,
  variablesOf,
  type ServiceEnvironment,
} from '../../scripts/generate-config-docs';
import { SERVICES, variablesRead } from '../delivery/support/services';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** The rows of the service table: variable → the services its "read by" cell names. */
function documentedServiceVariables(markdown: string): Map<string, string[]> {
  const section = markdown.split('## Service variables')[1]!.split('\n## ')[0]!;
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const match = /^\| `([A-Z0-9_]+)` \| ([^|]+) \|/.exec(line);
    if (!match) continue;
    const readers = match[2]!.trim() === 'all' ? ['gateway', 'users', 'orders'] : match[2]!.split(',').map((name) => name.trim());
    rows.set(match[1]!, readers);
  }
  return rows;
}

describe('docs/configuration.md', () => {
  const committed = existsSync(CONFIGURATION_DOC) ? readFileSync(CONFIGURATION_DOC, 'utf8') : '';

  test('when it is generated again from the config schemas, then it equals the committed file (else run `npm run docs:config`)', () => {
    expect(committed).toBe(renderConfigurationDoc());
  });

  test.each(SERVICES.map((service) => [service.name, service] as const))(
    'when the %s config loader runs, then every variable it reads has a row naming that service, and no row names it wrongly',
    (name, service) => {
      const documented = documentedServiceVariables(committed);
      const read = variablesRead(service.loadConfig);
      const documentedForService = [...documented].filter(([, readers]) => readers.includes(name)).map(([variable]) => variable);

      expect(read.length).toBeGreaterThan(10);
      expect(documentedForService.sort()).toEqual(read);
    },
  );
});

describe('the generator', () => {
  const fake = (schema: z.ZodObject, descriptions: Record<string, string>): ServiceEnvironment => ({
    name: 'fake',
    schema,
    descriptions,
    loadConfig: () => ({}),
  });

  test('when a schema variable has no description, then generation fails naming it', () => {
    const service = fake(z.object({ DESCRIBED: z.string().optional(), FORGOTTEN: env.positiveInt(5) }), { DESCRIBED: 'Here.' });

    expect(() => variablesOf(service)).toThrow('fake: FORGOTTEN has no description');
  });

  test('when a description names no variable of the schema, then generation fails naming it', () => {
    const service = fake(z.object({ KEPT: z.string().optional() }), { KEPT: 'Here.', REMOVED: 'Gone from the schema.' });

    expect(() => variablesOf(service)).toThrow('fake: REMOVED is described but not in the schema');
  });

  test('when variables of each kind are described, then the accepted values and defaults come from the schema', () => {
    const service = fake(
      z.object({
        PORT: env.port(4000),
        FLAG: env.boolean(true),
        MODE: z.enum(['apq', 'off']).default('apq'),
        URL: env.url().optional(),
        POOL: env.positiveInt(10),
        RATIO: z.coerce.number().min(0).max(1).optional(),
      }),
      { PORT: 'p', FLAG: 'f', MODE: 'm', URL: 'u', POOL: 'n', RATIO: 'r' },
    );

    const facts = Object.fromEntries(variablesOf(service).map((row) => [row.name, [row.accepts, row.defaultValue]]));

    expect(facts).toEqual({
      PORT: ['integer 0–65535', '4000'],
      FLAG: ['`true`/`false` (also `1`/`0`, `yes`/`no`)', 'true'],
      MODE: ['`apq`, `off`', 'apq'],
      URL: ['URL', undefined],
      POOL: ['integer ≥ 1', '10'],
      RATIO: ['number 0–1', undefined],
    });
  });

  test('when a schema kind is unknown to it, then it refuses instead of guessing', () => {
    // A kind no config schema uses, passed where the generator's parameter type admits only the used ones.
    expect(() => describeAccepted(z.array(z.string()) as unknown as Parameters<typeof describeAccepted>[0])).toThrow(
      'does not know how to describe a zod "array" schema',
    );
  });

  test('when the services are described, then each one has every variable of its schema', () => {
    for (const service of SERVICE_ENVIRONMENTS) {
      expect(variablesOf(service).map((row) => row.name)).toEqual(Object.keys(service.schema.shape));
    }
  });
});

describe('the tooling variables the page lists', () => {
  test.each(TOOLING_VARIABLES.map((variable) => [variable.name, variable.readBy] as const))(
    'when %s is listed, then every file it names exists and mentions it',
    (name, files) => {
      for (const file of files) {
        const full = path.join(REPO_ROOT, file);
        expect(existsSync(full)).toBe(true);
        expect(readFileSync(full, 'utf8')).toContain(name);
      }
    },
  );
});
