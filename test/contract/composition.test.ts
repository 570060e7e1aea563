/**
 * Contract: the subgraphs rover.yaml lists compose, at the pinned federation version, into
 * exactly the committed supergraph.graphql the gateway serves.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { composeFromRoverConfig, ROVER_CONFIG, SUPERGRAPH_PATH } from '../../scripts/compose';
import { loadConfig as loadOrdersConfig } from '../../subgraphs/orders/src/config';
import { loadConfig as loadUsersConfig } from '../../subgraphs/users/src/config';

interface RoverConfig {
  federation_version: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

const roverConfig = YAML.parse(readFileSync(ROVER_CONFIG, 'utf8')) as RoverConfig;
const installedCompositionVersion = (require('@apollo/composition/package.json') as { version: string }).version;

describe('supergraph composition', () => {
  test('when rover.yaml is composed, then there are no errors and the result equals supergraph.graphql byte for byte', () => {
    const outcome = composeFromRoverConfig();

    expect(outcome.errors).toEqual([]);
    expect(outcome.supergraphSdl).toBeDefined();
    // Byte-for-byte: compare buffers, not normalised strings.
    expect(Buffer.from(outcome.supergraphSdl!, 'utf8').equals(readFileSync(SUPERGRAPH_PATH))).toBe(true);
  });

  test('when rover.yaml pins federation_version, then it is exactly the installed @apollo/composition version', () => {
    expect(roverConfig.federation_version).toBe(`=${installedCompositionVersion}`);
  });

  test('when rover.yaml lists the subgraphs, then each has a schema file that exists and a local routing_url on the service default port', () => {
    const defaultPorts: Record<string, number> = {
      users: loadUsersConfig({}).http.port,
      orders: loadOrdersConfig({}).http.port,
    };
    expect(Object.keys(roverConfig.subgraphs).sort()).toEqual(Object.keys(defaultPorts).sort());
    for (const [name, subgraph] of Object.entries(roverConfig.subgraphs)) {
      const schemaFile = path.resolve(path.dirname(ROVER_CONFIG), subgraph.schema.file);
      expect({ name, schemaFile: path.relative(path.dirname(ROVER_CONFIG), schemaFile), exists: existsSync(schemaFile) }).toEqual({
        name,
        schemaFile: `subgraphs/${name}/schema.graphql`,
        exists: true,
      });
      const url = new URL(subgraph.routing_url);
      expect({ name, protocol: url.protocol, port: Number(url.port), pathname: url.pathname }).toEqual({
        name,
        protocol: 'http:',
        port: defaultPorts[name],
        pathname: '/graphql',
      });
    }
  });
});
