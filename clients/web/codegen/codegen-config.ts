/**
 * GraphQL Code Generator's configuration for the storefront (client preset): the app's
 * operations (`src/**\/*.graphql`) typed against the API schema of the committed
 * `supergraph.graphql` (what the gateway serves: the supergraph minus federation's own types
 * and directives). `npm run codegen -w clients/web` writes `src/graphql/generated/`; a test
 * regenerates it into a temporary folder and fails on any difference (test/contract/web-codegen.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { printSchema } from 'graphql';

/** The schema clients see: the supergraph's API schema, as SDL. */
export function apiSchemaSdl(supergraphPath: string): string {
  return printSchema(Supergraph.build(readFileSync(supergraphPath, 'utf8')).apiSchema().toGraphQLJSSchema());
}

/** Where the generated code lives, relative to the app's root. */
export const GENERATED_DIR = 'src/graphql/generated/';

/**
 * The codegen configuration, with absolute paths so it runs the same from any directory.
 * @param webRoot the app's folder (clients/web)
 * @param options.supergraphPath default: the repository's supergraph.graphql
 * @param options.outDir default: `<webRoot>/src/graphql/generated/` (the drift test writes elsewhere)
 */
export function codegenConfig(webRoot: string, options: { supergraphPath?: string; outDir?: string } = {}): CodegenConfig {
  const supergraphPath = options.supergraphPath ?? path.resolve(webRoot, '../../supergraph.graphql');
  const outDir = options.outDir ? `${path.resolve(options.outDir)}/` : path.join(webRoot, GENERATED_DIR);
  return {
    schema: apiSchemaSdl(supergraphPath),
    documents: [path.join(webRoot, 'src/**/*.graphql')],
    ignoreNoDocuments: false,
    generates: {
      [outDir]: {
        preset: 'client',
        presetConfig: {
          // Components read the fields their operation selects; no masked fragment types to unwrap.
          fragmentMasking: false,
        },
        config: {
          // String unions instead of TypeScript enums: no runtime objects in the bundle.
          enumsAsTypes: true,
          useTypeImports: true,
          strictScalars: true,
          scalars: { DateTime: 'string' },
          skipTypename: false,
        },
      },
    },
  };
}
