import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * Prisma's own schema engine, compiled to WebAssembly (@prisma/schema-engine-wasm): the
 * SQL generation of `prisma migrate diff`, without the native engine binary the Prisma CLI
 * would download. Development tooling only; services never load it.
 *
 * Only datamodel-to-datamodel diffs are used: diffs that introspect a live database go
 * through @prisma/adapter-pg, which cannot decode PostgreSQL's `"char"` catalog type
 * (prisma/prisma#27403).
 */

/** SQL that takes a database shaped like `from` (null: an empty one) to what `to` describes; '' when equal. */
export async function diffDatamodels(from: string | null, to: string): Promise<string> {
  const { SchemaEngine } = await import('@prisma/schema-engine-wasm');
  // Datamodel diffs never connect; the engine still wants an adapter to exist.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: 'postgres://unused@127.0.0.1:1/unused' }));
  const engine = await SchemaEngine.new({ datamodels: [['schema.prisma', to]] }, () => undefined, adapter);
  try {
    const datamodel = (content: string) => ({ tag: 'schemaDatamodel' as const, files: [{ path: 'schema.prisma', content }] });
    const result = await engine.diff({
      from: from === null ? { tag: 'empty' } : datamodel(from),
      to: datamodel(to),
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    } as never);
    return (result.stdout ?? '').replace(/^-- This is an empty migration\.\s*$/m, '').trim();
  } finally {
    engine.free();
  }
}
