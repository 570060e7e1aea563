/**
 * The readers the delivery checks assert through (support/shell, support/dockerfile,
 * support/nginx-config): a harmless rewording (quoting, spacing, flag order, line breaks,
 * comments) reads the same, and a real change does not.
 */
import { environment, healthcheck, copyArguments, parseDockerfile, runCommands } from './support/dockerfile';
import { allDirectives, parseNginxConfig, printNginxConfig } from './support/nginx-config';
import { describeCommands, invocation, missingCommands, parseScript, runsCommand } from './support/shell';

describe('support/shell: commands and their argv', () => {
  test.each([
    ['npm ci --no-audit --no-fund'],
    ['npm  ci'],
    ['\'npm\' "ci"'],
    ['npm ci \\\n  --no-fund   # and no funding messages'],
    ['npm --no-audit ci'],
  ])('when the script is `%s`, then it runs `npm ci`', (script) => {
    expect(parseScript(script).map((command) => runsCommand(command.argv, 'npm ci'))).toEqual([true]);
  });

  test.each([['npm install'], ['npm ci:fast'], ['npx npm ci'], ['echo npm ci']])(
    'when the script is `%s`, then it does not run `npm ci`',
    (script) => {
      expect(parseScript(script).some((command) => runsCommand(command.argv, 'npm ci'))).toBe(false);
    },
  );

  test('when options are reordered, clustered or given with =, then the command is the same; a different value is not', () => {
    expect(runsCommand(['curl', '-L', '-s', '-S', 'https://x.example/i'], 'curl -sSL https://x.example/i')).toBe(true);
    expect(runsCommand(['curl', '-Ls', 'https://x.example/i'], 'curl -sSL https://x.example/i')).toBe(false);
    expect(runsCommand(['curl', '--location', '--silent', '--show-error', 'https://x.example/i'], 'curl -sSL https://x.example/i')).toBe(
      true,
    );
    expect(runsCommand(['apt-get', 'install', '--yes', 'nginx-light'], 'apt-get install -y nginx-light')).toBe(true);
    expect(runsCommand(['npm', 'run', 'build', '--workspace=clients/web'], 'npm run build -w clients/web')).toBe(true);
    expect(runsCommand(['npm', 'install', '--omit', 'dev', '--no-audit'], 'npm install --omit=dev')).toBe(true);
    expect(runsCommand(['npm', 'install', '--omit=optional'], 'npm install --omit=dev')).toBe(false);
    expect(
      runsCommand(
        ['docker', 'build', '-t', 'fedshop/web:1', '.', '--build-arg', 'VERSION=1', '-f', 'clients/web/Dockerfile'],
        'docker build -f clients/web/Dockerfile --build-arg VERSION=1 -t fedshop/web:1 .',
      ),
    ).toBe(true);
    // Operands keep their order; the words after `--` are the script's own.
    expect(runsCommand(['npm', 'run', 'compose', '--', '--check'], 'npm run compose -- --check')).toBe(true);
    expect(runsCommand(['npm', 'run', 'compose'], 'npm run compose -- --check')).toBe(false);
    expect(runsCommand(['./scripts/run-migrations.sh', 'users'], 'scripts/run-migrations.sh users')).toBe(true);
  });

  test('when a script has compound commands, substitutions, redirections and comments, then each simple command is found', () => {
    const commands = parseScript(
      [
        '# compare with the base',
        'if [ "$EVENT" = "pull_request" ]; then',
        '  against="origin/$BASE_BRANCH"',
        'else',
        '  git cat-file -e "$against^{commit}" 2>/dev/null || against="HEAD~1"',
        'fi',
        'npx buf breaking proto \\',
        '  --against ".git#ref=$(git rev-parse "$against"),subdir=proto"',
        'rover supergraph compose --config rover.yaml > /tmp/sg.graphql',
        'for i in $(seq 1 3); do curl -sf "http://localhost/healthz" && exit 0; sleep 1; done',
      ].join('\n'),
    );

    expect(describeCommands(commands)).toEqual([
      '[ $EVENT = pull_request ]',
      '',
      'git cat-file -e $against^{commit}',
      '',
      'npx buf breaking proto --against .git#ref=$(git rev-parse $against),subdir=proto',
      'rover supergraph compose --config rover.yaml',
      'curl -sf http://localhost/healthz',
      'exit 0',
      'sleep 1',
      'git rev-parse $against',
      'seq 1 3',
    ]);
    expect(commands[1]!.assignments).toEqual({ against: 'origin/$BASE_BRANCH' });
    expect(commands[2]!.redirects).toEqual([{ op: '>', fd: '2', target: '/dev/null' }]);
    expect(commands[2]!.connector).toBe('||');
    expect(commands[5]!.redirects).toEqual([{ op: '>', target: '/tmp/sg.graphql' }]);
    expect(commands.filter((command) => command.substituted).map((command) => command.argv[0])).toEqual(['git', 'seq']);
    expect(invocation(commands[4]!.argv).options.get('--against')).toEqual(['.git#ref=$(git rev-parse $against),subdir=proto']);
  });

  test('when `sudo` or `npx` stands before the program, then it is a wrapper and the program is read with its own grammar', () => {
    const apt = invocation(['sudo', 'apt-get', 'install', '-qy', 'chromium', 'nginx-light']);
    expect({ wrappers: apt.wrappers, program: apt.program, operands: apt.operands, y: apt.options.get('-y') }).toEqual({
      wrappers: ['sudo'],
      program: 'apt-get',
      operands: ['install', 'chromium', 'nginx-light'],
      y: [true],
    });
    const docker = invocation(['docker', 'run', '-d', '--name', 'nats', '-p', '4222:4222', 'nats:2', '-js', '-m', '8222'], {
      clusteredShortOptions: true,
      valueOptions: ['--name', '-p'],
      operandsBeforeRest: 2,
    });
    expect({ operands: docker.operands, rest: docker.rest }).toEqual({ operands: ['run', 'nats:2'], rest: ['-js', '-m', '8222'] });
  });

  test('when some expected commands are not run, then exactly those are reported', () => {
    const commands = parseScript('npm run proto && npm run build');
    expect(missingCommands(commands, ['npm run proto', 'npm run compose -- --check', 'npm run build'])).toEqual([
      'npm run compose -- --check',
    ]);
  });

  test('when a script holds a here-document, then the reader refuses it rather than misread it', () => {
    expect(() => parseScript('cat <<EOF\nx\nEOF')).toThrow(/here-documents/);
  });
});

describe('support/dockerfile: instructions into their parts', () => {
  test('when a RUN is laid out differently (continuations, blank and comment lines, spacing), then it runs the same commands', () => {
    const one = parseDockerfile('FROM node:24-slim AS build\nRUN npm ci --no-audit && npm run build\n');
    const other = parseDockerfile(
      'FROM node:24-slim AS build\nRUN npm  ci \\\n    --no-audit \\\n\n    # then the compile\n && npm run build\n',
    );
    const commands = (file: typeof one) =>
      file.stages[0]!.instructions.flatMap((instruction) => describeCommands(runCommands(instruction.args)));
    expect(commands(other)).toEqual(commands(one));
    expect(commands(one)).toEqual(['npm ci --no-audit', 'npm run build']);
    expect(runCommands('["node", "dist/migrate.js"]').map((command) => command.argv)).toEqual([['node', 'dist/migrate.js']]);
  });

  test('when ENV is written in either form, quoted or not, then the same variables are set', () => {
    expect(environment('NODE_ENV=production PORT="4000"')).toEqual({ NODE_ENV: 'production', PORT: '4000' });
    expect(environment("NODE_ENV='production'   PORT=4000")).toEqual({ NODE_ENV: 'production', PORT: '4000' });
    expect(environment('GREETING hello world')).toEqual({ GREETING: 'hello world' });
    expect(environment('LABEL="a b" PATH=/app/bin:$PATH')).toEqual({ LABEL: 'a b', PATH: '/app/bin:$PATH' });
  });

  test('when HEALTHCHECK options are reordered, then the command is the same; the shell form runs under /bin/sh -c', () => {
    const exec = healthcheck('--timeout=3s --interval=10s CMD ["wget", "-qO-", "http://127.0.0.1:8080/healthz"]');
    expect(exec).toEqual({ options: { timeout: '3s', interval: '10s' }, command: ['wget', '-qO-', 'http://127.0.0.1:8080/healthz'] });
    expect(healthcheck('--interval=10s --timeout=3s cmd  ["wget", "-qO-", "http://127.0.0.1:8080/healthz"]')!.command).toEqual(
      exec!.command,
    );
    expect(healthcheck('CMD curl -f http://localhost/')!.command).toEqual(['/bin/sh', '-c', 'curl -f http://localhost/']);
    expect(healthcheck('NONE')).toBeUndefined();
    expect(() => healthcheck('--interval=1s')).toThrow(/expected/);
  });

  test('when COPY is in the JSON form, then it reads as the plain form', () => {
    expect(copyArguments('--from=build ["/src/dist", "./dist/"]')).toEqual(copyArguments('--from=build /src/dist ./dist/'));
  });
});

describe('support/nginx-config: directives', () => {
  const original = `
    # the site
    server {
      listen 8080;
      root /usr/share/nginx/html;
      location = /healthz { return 200 "ok\\n"; }
      add_header Content-Security-Policy "default-src 'self'" always;
      log_format json escape=json '{"path":"$uri"}' '${'${request_id}'}';
      map $http_upgrade $connection_upgrade { default upgrade; '' close; }
    }`;

  test('when the same configuration is reworded (spacing, line breaks, comments, quoting), then it reads the same', () => {
    const reworded = `server{listen "8080" ;   root '/usr/share/nginx/html';
      location = /healthz {
        # liveness only
        return 200 'ok\\n';
      }
      add_header Content-Security-Policy "default-src 'self'"
        always;
      log_format json escape=json '{"path":"$uri"}' "${'${request_id}'}";
      map $http_upgrade $connection_upgrade {
        default upgrade;
        "" close;
      }}`;
    expect(parseNginxConfig(reworded)).toEqual(parseNginxConfig(original));
    expect(allDirectives(parseNginxConfig(original)).find((entry) => entry.name === 'return')!.args).toEqual(['200', 'ok\n']);
  });

  test('when a configuration is printed, then it reads back to the same directives', () => {
    const parsed = parseNginxConfig(original);
    expect(parseNginxConfig(printNginxConfig(parsed))).toEqual(parsed);
  });

  test('when a directive is not terminated or a block not closed, then reading fails', () => {
    expect(() => parseNginxConfig('server { listen 8080 }')).toThrow(/not terminated/);
    expect(() => parseNginxConfig('server { listen 8080;')).toThrow(/end of file/);
  });
});
