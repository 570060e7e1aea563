// Preloaded (`node --require`) by the module-list test: records the file of every module the
// process loads, CommonJS and ESM alike (Node's synchronous module hooks see both), and writes
// them, one per line, to LOADED_MODULES_FILE when the process exits. With LOADED_BUILTINS_FILE,
// also Node's own modules it loaded (`process.moduleLoadList`: `NativeModule internal/deps/undici/undici`
// is Node's bundled fetch), one per line.
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
process.on('exit', () => {
  writeFileSync(process.env.LOADED_MODULES_FILE, [...loaded].join('\n'));
  if (process.env.LOADED_BUILTINS_FILE) writeFileSync(process.env.LOADED_BUILTINS_FILE, process.moduleLoadList.join('\n'));
});
