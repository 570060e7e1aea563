import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphQLError } from 'graphql';
import { createSafelist, loadManifest, requestedOperation, sha256Hex, type PersistedQueryManifest } from './persisted-queries';

const BODY = 'query Me {\n  me {\n    id\n  }\n}';
const MANIFEST: PersistedQueryManifest = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [{ id: sha256Hex(BODY), name: 'Me', type: 'query', body: BODY }],
};

function codeOf(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof GraphQLError ? error.extensions.code : error;
  }
  return undefined;
}

describe('safelist', () => {
  const safelist = createSafelist(MANIFEST);

  test('when a listed id comes alone, then it passes and the cache Apollo Server reads resolves it to the body', async () => {
    expect(codeOf(() => safelist.check({ sha256Hash: MANIFEST.operations[0]!.id }))).toBeUndefined();
    expect(await safelist.cache.get(`apq:${MANIFEST.operations[0]!.id}`)).toBe(BODY);
  });

  test('when the exact text of a listed operation comes, then it passes', () => {
    expect(codeOf(() => safelist.check({ query: BODY }))).toBeUndefined();
  });

  test('when any other text comes, with or without a hash, then PERSISTED_QUERY_NOT_IN_LIST', () => {
    expect(codeOf(() => safelist.check({ query: '{ me { id email } }' }))).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(codeOf(() => safelist.check({ query: '{ users { totalCount } }', sha256Hash: sha256Hex('{ users { totalCount } }') }))).toBe(
      'PERSISTED_QUERY_NOT_IN_LIST',
    );
  });

  test('when a client tries to register an operation through APQ, then nothing is stored', async () => {
    await safelist.cache.set(`apq:${sha256Hex('{ x }')}`, '{ x }');
    expect(await safelist.cache.get(`apq:${sha256Hex('{ x }')}`)).toBeUndefined();
  });
});

describe('loadManifest', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-manifest-'));
  const write = (content: string) => {
    const file = path.join(dir, `${Math.random()}.json`);
    writeFileSync(file, content);
    return file;
  };

  test('when the file is a manifest, then its operations are read', () => {
    expect(loadManifest(write(JSON.stringify(MANIFEST))).operations).toHaveLength(1);
  });

  test.each([
    ['not JSON', '{'],
    ['another format', JSON.stringify({ ...MANIFEST, format: 'relay' })],
    ['another version', JSON.stringify({ ...MANIFEST, version: 2 })],
    ['an operation without a body', JSON.stringify({ ...MANIFEST, operations: [{ id: 'x', name: 'X', type: 'query' }] })],
  ])('when the file is %s, then loading fails naming the file', (_label, content) => {
    const file = write(content);
    expect(() => loadManifest(file)).toThrow(file);
  });
});

describe('requestedOperation', () => {
  test('when a POST body carries a query and a hash, then both are read', () => {
    expect(
      requestedOperation(
        'POST',
        { query: '{ a }', extensions: { persistedQuery: { version: 1, sha256Hash: 'h' } } },
        new URLSearchParams(),
      ),
    ).toEqual({
      query: '{ a }',
      sha256Hash: 'h',
    });
  });

  test('when a GET carries them as parameters, then both are read', () => {
    const search = new URLSearchParams({ query: '{ a }', extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: 'h' } }) });
    expect(requestedOperation('GET', undefined, search)).toEqual({ query: '{ a }', sha256Hash: 'h' });
  });

  test.each([
    ['a batch', [{ query: '{ a }' }]],
    ['a string', '{ a }'],
    ['a non-string query', { query: 42 }],
  ])('when the body is %s, then nothing is read (Apollo Server refuses it itself)', (_label, body) => {
    expect(requestedOperation('POST', body, new URLSearchParams())).toEqual({});
  });
});
