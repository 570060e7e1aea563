/**
 * The process entry point of the gateway: `node dist/main.js` in production, the same file run
 * from source by `npm start`. Everything else is in `index.ts`, which tests start in-process.
 */
// First, before Apollo Gateway loads: the packages it requires for features left off load at first use.
import './deferred-apollo-dependencies';
import { runServiceMain } from '@fedshop/shared/lifecycle';
import { loadConfig, startGateway, SERVICE, VERSION } from './index';

// No library instrumentations: the gateway's HTTP spans are its own (server: @fedshop/shared/http,
// subgraph calls: upstream/subgraph-request.ts) and Apollo Gateway writes its planning and fetch spans.
runServiceMain({ name: SERVICE, version: VERSION, loadConfig: () => loadConfig(), start: startGateway, instrumentsLibraries: false });
