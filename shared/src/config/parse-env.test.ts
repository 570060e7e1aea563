import { z } from 'zod';
import { ConfigError, env, parseEnv } from './parse-env';

const schema = z.object({
  PORT: env.port(4000),
  LOG_LEVEL: env.logLevel(),
  LOG_PRETTY: env.boolean(false),
  POOL_MAX: env.positiveInt(10),
  DATABASE_URL: env.postgresUrl().optional(),
  JWKS_URL: env.url().default('http://localhost:4001/.well-known/jwks.json'),
  NODE_ENV: env.nodeEnv(),
});

function problemsOf(source: Record<string, string | undefined>): string[] {
  try {
    parseEnv(schema, source);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  test('when nothing is set, then every variable takes its default', () => {
    expect(parseEnv(schema, {})).toEqual({
      PORT: 4000,
      LOG_LEVEL: 'info',
      LOG_PRETTY: false,
      POOL_MAX: 10,
      DATABASE_URL: undefined,
      JWKS_URL: 'http://localhost:4001/.well-known/jwks.json',
      NODE_ENV: 'development',
    });
  });

  test('when variables are set, then they are coerced to their types', () => {
    const config = parseEnv(schema, {
      PORT: '8080',
      LOG_LEVEL: 'debug',
      LOG_PRETTY: 'true',
      POOL_MAX: '3',
      DATABASE_URL: 'postgres://u:p@db:5432/users',
      NODE_ENV: 'production',
    });

    expect(config).toMatchObject({
      PORT: 8080,
      LOG_LEVEL: 'debug',
      LOG_PRETTY: true,
      POOL_MAX: 3,
      DATABASE_URL: 'postgres://u:p@db:5432/users',
      NODE_ENV: 'production',
    });
  });

  test.each(['', '   ', '\t'])('when a variable is the empty string %j, then it counts as unset and the default applies', (blank) => {
    const config = parseEnv(schema, { PORT: blank, LOG_LEVEL: blank, LOG_PRETTY: blank, DATABASE_URL: blank });

    expect(config).toMatchObject({ PORT: 4000, LOG_LEVEL: 'info', LOG_PRETTY: false, DATABASE_URL: undefined });
  });

  test('when a value has surrounding whitespace, then it is trimmed before parsing', () => {
    expect(parseEnv(schema, { PORT: ' 5000 ', LOG_LEVEL: ' warn\n' })).toMatchObject({ PORT: 5000, LOG_LEVEL: 'warn' });
  });

  test('when a required variable is empty, then it is reported as missing', () => {
    const required = z.object({ JWT_PRIVATE_KEY: z.string() });

    expect(() => parseEnv(required, { JWT_PRIVATE_KEY: '' })).toThrow(ConfigError);
    expect(() => parseEnv(required, { JWT_PRIVATE_KEY: '' })).toThrow(/JWT_PRIVATE_KEY/);
  });

  test('when variables outside the schema are present, then they are ignored', () => {
    const config = parseEnv(schema, { PATH: '/usr/bin', HOME: '/root' });

    expect(config).not.toHaveProperty('PATH');
    expect(config).not.toHaveProperty('HOME');
  });

  test('when one variable is bad, then the error has exactly one line naming it', () => {
    expect(problemsOf({ PORT: 'eighty' })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  test('when several variables are bad at once, then every one is reported, one line each', () => {
    const problems = problemsOf({
      PORT: '99999',
      LOG_LEVEL: 'verbose',
      LOG_PRETTY: 'sometimes',
      POOL_MAX: '0',
      DATABASE_URL: 'mysql://db/users',
      JWKS_URL: 'not a url',
    });

    expect(problems.map((line) => line.split(':')[0]).sort()).toEqual(
      ['DATABASE_URL', 'JWKS_URL', 'LOG_LEVEL', 'LOG_PRETTY', 'POOL_MAX', 'PORT'].sort(),
    );
    expect(problems).toContain('LOG_PRETTY: must be true or false');
    expect(problems).toContain('DATABASE_URL: must be a postgres:// URL');
    expect(problems).toContain('JWKS_URL: must be a URL');
  });

  test('when a value breaks several rules of one variable, then it still yields a single line', () => {
    expect(problemsOf({ PORT: '-1.5' })).toHaveLength(1);
    expect(problemsOf({ POOL_MAX: '-2.5' })).toHaveLength(1);
  });

  test('when the config is invalid, then the message lists each problem on its own line', () => {
    expect(() => parseEnv(schema, { PORT: 'x', NODE_ENV: 'staging' })).toThrow(
      /^Invalid configuration:\n {2}- (PORT|NODE_ENV): .+\n {2}- (PORT|NODE_ENV): .+$/,
    );
  });

  test('when the config is invalid, then a bad value is not echoed (it may be a secret)', () => {
    const problems = problemsOf({ DATABASE_URL: 'mysql://admin:hunter2@db/users' });

    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

describe('env.boolean', () => {
  const flag = z.object({ FLAG: env.boolean(true) });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('when the variable is %j, then the value is %s', (raw, expected) => {
    expect(parseEnv(flag, { FLAG: raw }).FLAG).toBe(expected);
  });

  test('when the variable is unset, then the fallback applies (true here)', () => {
    expect(parseEnv(flag, {}).FLAG).toBe(true);
  });

  test.each(['on', 'TRUE ish', '2', 'y'])('when the variable is %j, then it is refused with "must be true or false"', (raw) => {
    expect(() => parseEnv(flag, { FLAG: raw })).toThrow('FLAG: must be true or false');
  });
});

describe('env.port', () => {
  const ports = z.object({ PORT: env.port(3000) });

  test.each([
    ['0', 0],
    ['1', 1],
    ['65535', 65535],
  ])('when PORT is %j, then it is accepted as %d', (raw, expected) => {
    expect(parseEnv(ports, { PORT: raw }).PORT).toBe(expected);
  });

  test.each(['65536', '-1', '80.5', 'http', '1e9'])('when PORT is %j, then it is refused', (raw) => {
    expect(() => parseEnv(ports, { PORT: raw })).toThrow(/^Invalid configuration:\n {2}- PORT: /);
  });
});
