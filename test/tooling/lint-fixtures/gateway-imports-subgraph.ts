// Linted as gateway/src/gateway-context.ts: the gateway importing a subgraph's code.
import { DEVELOPMENT_ADMIN } from '../../subgraphs/users/src/config';
export const admin = DEVELOPMENT_ADMIN;
