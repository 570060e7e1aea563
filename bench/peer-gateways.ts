import path from 'node:path';
import { profileNameOf, type GatewayId } from './bench-gateways';
import { subgraphRoutingEnv, type SubgraphAddresses } from './our-services';
import { answersOk, type ServiceProcess } from './service-process';
import type { StackLauncher } from './stack-launcher';

/**
 * A gateway ours is compared with (bench/gateways, compiled like ours), on the same subgraphs
 * and the committed supergraph. The peers have no /readyz: one is ready once it answers a query.
 */
export function startPeerGateway(
  launcher: StackLauncher,
  gateway: { id: GatewayId; label: string; port: number; url: string; profiled: boolean },
  addresses: SubgraphAddresses,
): Promise<ServiceProcess> {
  return launcher.start(`gateway-${gateway.id}`, {
    name: gateway.label,
    nodeFlags: gateway.profiled ? launcher.cpuProfileFlags(profileNameOf(gateway.id)) : [],
    entry: gateway.id === 'apollo' ? 'bench/dist/gateways/bare-apollo-gateway.js' : 'bench/dist/gateways/hive-gateway.js',
    isReady: () =>
      answersOk(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      }),
    env: {
      PORT: String(gateway.port),
      ...subgraphRoutingEnv(addresses),
      SUPERGRAPH_PATH: path.resolve(__dirname, '../supergraph.graphql'),
      ...(gateway.id === 'hive-nodedup' ? { DEDUPLICATE_INFLIGHT: 'false' } : {}),
    },
  });
}
