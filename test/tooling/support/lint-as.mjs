// Lints files as if they stood elsewhere in the tree: argv is pairs of <file> <path to lint it as>
// (relative to the repository); prints, as JSON, each pair's problems as "rule: message".
// A child process because ESLint loads eslint.config.mjs with a dynamic import, which jest's
// module sandbox does not provide.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';

// typescript-eslint takes CI=true as a one-off CLI run and then types each file from its copy on
// disk, ignoring the text given here: the fixtures would be linted as the real files they stand for.
process.env.TSESTREE_SINGLE_RUN = 'false';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: repoRoot });
const pairs = process.argv.slice(2);
const problems = [];
for (let i = 0; i < pairs.length; i += 2) {
  const [result] = await eslint.lintText(readFileSync(pairs[i], 'utf8'), { filePath: path.join(repoRoot, pairs[i + 1]) });
  problems.push(result.messages.map((message) => `${message.ruleId}: ${message.message}`));
}
process.stdout.write(JSON.stringify(problems));
