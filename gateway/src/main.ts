/**
 * The process entry point of the gateway: `node dist/main.js` in production, the same file run
 * from source by `npm start`. Everything else is in `index.ts`, which tests start in-process.
 */
// First, before any library is loaded: the tracing instrumentations' require hooks.
import './instrumentation';
// Then, before Apollo Gateway loads: the packages it requires for features left off load at first use.
import './deferred-apollo-dependencies';
import { runServiceMain } from '@fedshop/shared/lifecycle';
import { loadConfig, startGateway, SERVICE, VERSION } from './index';

runServiceMain({ name: SERVICE, version: VERSION, loadConfig: () => loadConfig(), start: startGateway });
