// Linted as subgraphs/users/src/use-cases/sign-up.ts: the users service reaching into orders' code.
import { SEED_CATALOG } from '../../../orders/src/domain/seed-catalog';
export const catalogSize = SEED_CATALOG.length;
