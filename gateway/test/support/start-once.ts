/**
 * Starts the gateway from its environment and prints how the start ended, then leaves the
 * process to end by itself: it does only once nothing the gateway opened is still open
 * (failed-start.test.ts). `node --conditions=@fedshop/source --import tsx gateway/test/support/start-once.ts`
 */
import { loadConfig, startGateway } from '../../src';

startGateway(loadConfig()).then(
  () => console.log('started'),
  (error: unknown) => console.log(`start failed: ${(error as NodeJS.ErrnoException).code ?? String(error)}`),
);
