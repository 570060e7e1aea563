/**
 * Contract: the internal gRPC contracts in proto/ pass `buf lint` with the committed buf.yaml
 * (the STANDARD rules), run through the buf binary the @bufbuild/buf package ships.
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/lib/subgraph-databases';
import { runProcess, tempDir } from './support/run-process';

const BUF = require.resolve('@bufbuild/buf/bin/buf');

function bufLint(cwd: string, module: string) {
  return runProcess(process.execPath, [BUF, 'lint', module, '--error-format', 'json'], { cwd });
}

describe('proto/ lint', () => {
  test('when buf lints proto/ with the committed buf.yaml, then it exits 0 and reports nothing', async () => {
    const result = await bufLint(REPO_ROOT, 'proto');
    expect({ code: result.code, findings: result.stdout.trim(), stderr: result.stderr.trim() }).toEqual({
      code: 0,
      findings: '',
      stderr: '',
    });
  });

  test('when the same module gains a proto that breaks the STANDARD rules, then buf lint fails and names them', async () => {
    const temp = tempDir('buf-lint');
    try {
      const module = path.join(temp.dir, 'proto');
      cpSync(path.join(REPO_ROOT, 'proto'), module, { recursive: true });
      mkdirSync(path.join(module, 'bad', 'v1'), { recursive: true });
      writeFileSync(
        path.join(module, 'bad', 'v1', 'bad.proto'),
        ['syntax = "proto3";', 'package Bad.v1;', 'message bad_message {', '  string FooBar = 1;', '}', ''].join('\n'),
      );

      const result = await bufLint(temp.dir, 'proto');

      expect(result.code).not.toBe(0);
      const rules = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { path: string; type: string })
        .map((finding) => `${finding.path}: ${finding.type}`);
      expect(rules).toEqual(
        expect.arrayContaining([
          'proto/bad/v1/bad.proto: PACKAGE_LOWER_SNAKE_CASE',
          'proto/bad/v1/bad.proto: MESSAGE_PASCAL_CASE',
          'proto/bad/v1/bad.proto: FIELD_LOWER_SNAKE_CASE',
        ]),
      );
      // Only the planted file is at fault: the real protos stay clean in the copy.
      expect(rules.filter((rule) => !rule.startsWith('proto/bad/'))).toEqual([]);
    } finally {
      temp.remove();
    }
  });
});
