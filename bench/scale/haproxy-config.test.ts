import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderHaproxyConfig, type HaproxyConfigOptions } from './haproxy-config';
import { HAPROXY_BINARY } from './haproxy';

const OPTIONS: HaproxyConfigOptions = {
  statsSocket: '/tmp/fedshop-haproxy-test.sock',
  endpoints: [
    {
      name: 'gateway',
      listenPort: 24000,
      protocol: 'http',
      slots: [
        { name: 'gateway-0', port: 24001, checkPort: 24001 },
        { name: 'gateway-1', port: 24002, checkPort: 24002, disabled: true },
      ],
    },
    { name: 'users-grpc', listenPort: 24010, protocol: 'grpc', slots: [{ name: 'users-0', port: 24011, checkPort: 24012 }] },
  ],
};

describe("the scale rig's HAProxy configuration", () => {
  const config = renderHaproxyConfig(OPTIONS);
  /** One `frontend …` or `backend …` section, up to the blank line after it. */
  const section = (name: string) => config.slice(config.indexOf(`\n${name}\n`) + 1).split('\n\n')[0]!;

  test('when rendered, then every server is health-checked on GET /readyz and a spare slot starts out of rotation', () => {
    expect(config).toContain('option httpchk GET /readyz');
    expect(config).toContain('http-check expect status 200');
    expect(section('backend gateway')).toContain('server gateway-0 127.0.0.1:24001 check\n');
    expect(section('backend gateway')).toMatch(/server gateway-1 127\.0\.0\.1:24002 check disabled$/);
  });

  test('when a backend is gRPC, then calls go over h2 (each balanced), the check over HTTP/1.1 on the HTTP port, and an unanswered call is retried', () => {
    expect(section('frontend users-grpc')).toContain('bind 127.0.0.1:24010 proto h2');
    expect(section('backend users-grpc')).toContain('server users-0 127.0.0.1:24011 proto h2 check port 24012 check-proto h1');
    expect(section('backend users-grpc')).toContain('retry-on conn-failure empty-response');
  });

  test('when a backend is HTTP, then only connection failures are retried (a mutation that reached a replica is never resent) and the client address is forwarded', () => {
    expect(section('backend gateway')).toContain('retry-on conn-failure\n');
    expect(section('frontend gateway')).toContain('option forwardfor');
  });

  (existsSync(HAPROXY_BINARY) ? test : test.skip)('when HAProxy checks it (haproxy -c), then it is valid', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-haproxy-'));
    try {
      writeFileSync(path.join(dir, 'haproxy.cfg'), config);
      expect(() => execFileSync(HAPROXY_BINARY, ['-c', '-q', '-f', path.join(dir, 'haproxy.cfg')], { stdio: 'pipe' })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
