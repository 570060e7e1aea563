/**
 * `npm run codegen -w clients/web`: writes src/graphql/generated/ (codegen-config.ts).
 * `--out DIR` and `--supergraph FILE` write elsewhere from another supergraph (the drift test).
 */
import { parseArgs } from 'node:util';
import { generate } from '@graphql-codegen/cli';
import { codegenConfig } from './codegen-config';

const { values } = parseArgs({ options: { out: { type: 'string' }, supergraph: { type: 'string' } } });
await generate({ ...codegenConfig(process.cwd(), { outDir: values.out, supergraphPath: values.supergraph }), silent: true }, true);
