import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startTestPlatform, type TestPlatform } from '../support/test-platform';

describe('keep-alive with subscribers', () => {
  let platform: TestPlatform;
  let token: string;
  beforeAll(async () => {
    platform = await startTestPlatform({ gatewayEnv: { SUBSCRIPTION_KEEPALIVE_MS: '200' } });
    const signUp = await platform.gql<{ signUp: { token: string } }>('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email: `${randomUUID()}@example.com`, password: 'keep-alive password', name: 'Pinged' },
    });
    token = signUp.data!.signUp.token;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  /** A graphql-ws connection, acknowledged; `autoPong: false` makes a client that never answers pings. */
  async function connect(autoPong: boolean): Promise<{ socket: WebSocket; pings: () => number; closed: Promise<number> }> {
    const socket = new WebSocket(`${platform.gatewayUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', { autoPong });
    let pings = 0;
    socket.on('ping', () => pings++);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    const ack = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    expect(JSON.parse(ack)).toEqual({ type: 'connection_ack' });
    return { socket, pings: () => pings, closed };
  }

  test('when a WebSocket client answers the gateway’s pings, then it stays connected; when one stops answering, then it is dropped', async () => {
    const answering = await connect(true);
    const silent = await connect(false);

    // Dropped: no pong by the next ping.
    expect(await silent.closed).toBe(1006);
    expect(silent.pings()).toBeGreaterThanOrEqual(1);
    while (answering.pings() < 5) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
    answering.socket.close();
    await answering.closed;
  });

  test('when an SSE stream has nothing to send, then it still gets keep-alive comments', async () => {
    const abort = new AbortController();
    const response = await fetch(`${platform.gatewayUrl}/graphql`, {
      method: 'POST',
      signal: abort.signal,
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'subscription { orderStatusChanged { id } }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes(':\n\n')) received += new TextDecoder().decode((await reader.read()).value);
    expect(received.startsWith(':\n\n')).toBe(true);
    abort.abort();
  });
});
