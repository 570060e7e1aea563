import type { IncomingMessage } from 'node:http';
import { addressBucketKey, clientAddress, parseTrustedProxies } from './client-address';

function request(remoteAddress: string, forwardedFor?: string | string[]): IncomingMessage {
  return {
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  const proxies = parseTrustedProxies('10.0.0.0/8, 127.0.0.1, fd00::/8');

  test('when no proxy is trusted, then X-Forwarded-For is ignored', () => {
    expect(clientAddress(request('203.0.113.9', '198.51.100.1'), parseTrustedProxies(''))).toBe('203.0.113.9');
  });

  test('when the peer is not a trusted proxy, then its own address counts, whatever it forwards', () => {
    expect(clientAddress(request('203.0.113.9', '1.2.3.4'), proxies)).toBe('203.0.113.9');
  });

  test('when a trusted proxy forwards, then the address it appended is the client', () => {
    expect(clientAddress(request('10.1.2.3', '198.51.100.7'), proxies)).toBe('198.51.100.7');
  });

  test('when the client forged hops on the left, then they are not believed', () => {
    expect(clientAddress(request('10.1.2.3', '6.6.6.6, 198.51.100.7'), proxies)).toBe('198.51.100.7');
  });

  test('when several trusted proxies are chained, then the first untrusted hop from the right is the client', () => {
    expect(clientAddress(request('127.0.0.1', ['6.6.6.6, 198.51.100.7', '10.9.9.9']), proxies)).toBe('198.51.100.7');
  });

  test('when every hop is a trusted proxy, then the leftmost one is the client', () => {
    expect(clientAddress(request('10.1.1.1', '10.2.2.2, 10.3.3.3'), proxies)).toBe('10.2.2.2');
  });

  test('when a hop is not an IP, then the walk stops at the last trusted proxy', () => {
    expect(clientAddress(request('10.1.1.1', 'evil, 10.3.3.3'), proxies)).toBe('10.3.3.3');
    expect(clientAddress(request('10.1.1.1', 'not-an-ip'), proxies)).toBe('10.1.1.1');
  });

  test('when addresses carry ports, brackets or the IPv4-mapped prefix, then the plain address counts', () => {
    expect(clientAddress(request('::ffff:10.1.2.3', '198.51.100.7:4711'), proxies)).toBe('198.51.100.7');
    expect(clientAddress(request('fd00::1', '[2001:db8::5]:443'), proxies)).toBe('2001:db8::5');
    expect(clientAddress(request('::ffff:203.0.113.9'), proxies)).toBe('203.0.113.9');
  });
});

describe('parseTrustedProxies', () => {
  test.each(['10.0.0.0/33', 'fd00::/129', 'proxy.internal', '10.0.0.1/8/9', '10.0.0.0/x'])(
    'when an entry is %j, then parsing fails naming it',
    (entry) => {
      expect(() => parseTrustedProxies(`127.0.0.1, ${entry}`)).toThrow(entry);
    },
  );

  test('when the list is empty or blank, then nobody is trusted', () => {
    expect(parseTrustedProxies(' , ').entries).toEqual([]);
  });
});

describe('addressBucketKey', () => {
  test('when the address is IPv4, then it is its own key', () => {
    expect(addressBucketKey('198.51.100.7')).toBe('198.51.100.7');
  });

  test.each([
    ['2001:db8:aa:bb:1:2:3:4', '2001:db8:aa:bb::/64'],
    ['2001:db8:aa:bb::9', '2001:db8:aa:bb::/64'],
    ['2001:DB8:00AA:bb:ffff::1', '2001:db8:aa:bb::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('when the address is IPv6 %s, then its /64 is the key', (address, key) => {
    expect(addressBucketKey(address)).toBe(key);
  });
});
