// Preloaded (`node --require`) by the module-list test: records the file of every module the
// process loads, CommonJS and ESM alike (Node's synchronous module hooks see both), and writes
// them, one per line, to LOADED_MODULES_FILE when the process exits.
const { registerHooks } = require('node:module');
const { writeFileSync } = require('node:fs');
const { fileURLToPath } = require('node:url');

const loaded = new Set();
registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith('file:')) loaded.add(fileURLToPath(url));
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(process.env.LOADED_MODULES_FILE, [...loaded].join('\n')));
