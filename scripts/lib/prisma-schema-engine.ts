import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';

/**
 * Prisma's own schema engine, compiled to WebAssembly (@prisma/schema-engine-wasm): the
 * SQL generation of `prisma migrate diff`, without the native engine binary the Prisma CLI
 * would download. Development tooling only; services never load it.
 *
 * Only datamodel-to-datamodel diffs are used: diffs that introspect a live database go
 * through @prisma/adapter-pg, which cannot decode PostgreSQL's `"char"` catalog type
 * (prisma/prisma#27403).
 */

/** The server the offline adapter claims to be (the PostgreSQL the platform runs on). */
const OFFLINE_SERVER = { version: 'PostgreSQL 18.0', versionNum: 180000 };

/**
 * Stands in for a database. Datamodel diffs need none, but the engine connects when it is
 * created and asks which PostgreSQL it talks to (schema exists, `version()`, server_version_num).
 * This answers that one question and refuses everything else, so a diff that really needed a
 * database fails loudly instead of describing an imaginary one.
 */
function offlineAdapterFactory(): SqlMigrationAwareDriverAdapterFactory {
  const info = { provider: 'postgres', adapterName: 'fedshop-offline' } as const;
  const refuse = (what: string) => Promise.reject(new Error(`diffDatamodels runs without a database, but the engine tried to ${what}`));
  const adapter: SqlDriverAdapter = {
    ...info,
    async queryRaw(query) {
      if (!/\bversion\(\)/.test(query.sql)) return refuse(`query: ${query.sql}`);
      return {
        columnNames: ['exists', 'version', 'numeric_version'],
        columnTypes: [ColumnTypeEnum.Boolean, ColumnTypeEnum.Text, ColumnTypeEnum.Int32],
        rows: [[true, OFFLINE_SERVER.version, OFFLINE_SERVER.versionNum]],
      };
    },
    executeRaw: (query) => refuse(`execute: ${query.sql}`),
    executeScript: () => refuse('run a script'),
    startTransaction: () => refuse('start a transaction'),
    getConnectionInfo: () => ({ schemaName: 'public', supportsRelationJoins: true }),
    dispose: async () => undefined,
  };
  return { ...info, connect: async () => adapter, connectToShadowDb: () => refuse('open a shadow database') };
}

/** SQL that takes a database shaped like `from` (null: an empty one) to what `to` describes; '' when equal. */
export async function diffDatamodels(from: string | null, to: string): Promise<string> {
  const { SchemaEngine } = await import('@prisma/schema-engine-wasm');
  const adapter = bindMigrationAwareSqlAdapterFactory(offlineAdapterFactory());
  const engine = await SchemaEngine.new({ datamodels: [['schema.prisma', to]] }, () => undefined, adapter);
  try {
    const datamodel = (content: string) => ({ tag: 'schemaDatamodel' as const, files: [{ path: 'schema.prisma', content }] });
    const result = await engine.diff({
      from: from === null ? { tag: 'empty' } : datamodel(from),
      to: datamodel(to),
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    } as Parameters<typeof engine.diff>[0]);
    return (result.stdout ?? '').replace(/^-- This is an empty migration\.\s*$/m, '').trim();
  } finally {
    engine.free();
  }
}
