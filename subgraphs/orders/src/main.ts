/**
 * The process entry point of the orders service: `node dist/main.js` in production, the same file run
 * from source by `npm start`. Everything else is in `index.ts`, which tests start in-process.
 */
// First, before any library is loaded: the tracing instrumentations' require hooks.
import './instrumentation';
import { runServiceMain } from '@fedshop/shared/lifecycle';
import { loadConfig, startOrdersService, SERVICE, VERSION } from './index';

runServiceMain({ name: SERVICE, version: VERSION, loadConfig: () => loadConfig(), start: startOrdersService });
