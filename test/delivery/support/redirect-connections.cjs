/**
 * Preloaded (NODE_OPTIONS=--require) into a health probe the delivery tests run: the probe's TCP
 * connections to FEDSHOP_REDIRECT_FROM_PORT go to FEDSHOP_REDIRECT_TO_PORT instead (a stand-in for
 * the service, which cannot own the service's real port on a shared machine), and every
 * connection's original host:port is appended to FEDSHOP_CONNECTIONS_FILE, so the test sees where
 * the probe meant to go. net.connect is what http and fetch (undici) call for each connection.
 */
'use strict';
const { appendFileSync } = require('node:fs');
const net = require('node:net');

const from = Number(process.env.FEDSHOP_REDIRECT_FROM_PORT);
const to = Number(process.env.FEDSHOP_REDIRECT_TO_PORT);
const file = process.env.FEDSHOP_CONNECTIONS_FILE;

function wrap(original) {
  return function connect(...args) {
    const options =
      typeof args[0] === 'object' && args[0] !== null
        ? { ...args[0] }
        : { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
    if (options.path === undefined) {
      if (file) appendFileSync(file, `${options.host ?? 'localhost'}:${options.port}\n`);
      if (Number(options.port) === from && to) options.port = to;
    }
    const callback = args.find((arg) => typeof arg === 'function');
    return callback ? original.call(this, options, callback) : original.call(this, options);
  };
}

net.connect = wrap(net.connect);
net.createConnection = wrap(net.createConnection);
