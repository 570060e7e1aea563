import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import pino from 'pino';
import { TOKEN_ALGORITHM, type Role } from '@fedshop/shared/auth';
import { notFound } from '@fedshop/shared/errors';
import { startGrpcServer, toGrpcStatus, userV1 } from '@fedshop/shared/grpc';

/**
 * Fakes of what the orders service talks to over the network, and nothing else: the users
 * service's gRPC API (user.v1.UserService) and its JWKS endpoint. Both are real servers on
 * real sockets, so the orders service runs its own client, deadline and verification code.
 */

/** How the fake users service answers GetUser for an account. */
export type FakeAccountState = 'ACTIVE' | 'SUSPENDED' | 'NOT_FOUND' | 'UNRESPONSIVE';

export interface FakeUserService {
  /** `host:port` for USER_SERVICE_ADDR. */
  address: string;
  /** Sets how GetUser answers for this id (ids never set answer NOT_FOUND, like the real service). */
  setAccount(userId: string, state: FakeAccountState, role?: Role): void;
  /** How many GetUser calls arrived for this id. */
  callsFor(userId: string): number;
  /** Stops the server: the port refuses connections from now on. Calls left hanging are cut. */
  stop(): Promise<void>;
}

const USER_STATUS = {
  ACTIVE: userV1.UserStatus.USER_STATUS_ACTIVE,
  SUSPENDED: userV1.UserStatus.USER_STATUS_SUSPENDED,
} as const;
const USER_ROLE = { CUSTOMER: userV1.Role.ROLE_CUSTOMER, ADMIN: userV1.Role.ROLE_ADMIN } as const;

/**
 * A real gRPC server implementing user.v1.UserService whose answers the test sets per user
 * id. UNRESPONSIVE accounts never get an answer, so only the caller's deadline ends the call.
 */
export async function startFakeUserService(): Promise<FakeUserService> {
  const accounts = new Map<string, { state: FakeAccountState; role: Role }>();
  const calls = new Map<string, number>();
  const server = await startGrpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    services: [
      {
        definition: userV1.UserServiceService,
        implementation: {
          getUser(call: ServerUnaryCall<userV1.GetUserRequest, userV1.GetUserResponse>, callback: sendUnaryData<userV1.GetUserResponse>) {
            const { userId } = call.request;
            calls.set(userId, (calls.get(userId) ?? 0) + 1);
            const account = accounts.get(userId) ?? { state: 'NOT_FOUND', role: 'CUSTOMER' };
            if (account.state === 'UNRESPONSIVE') return;
            if (account.state === 'NOT_FOUND') {
              callback(toGrpcStatus(notFound('No such user.')));
              return;
            }
            callback(null, { user: { id: userId, status: USER_STATUS[account.state], role: USER_ROLE[account.role] } });
          },
        } satisfies userV1.UserServiceServer,
      },
    ],
  });
  let stopped: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${server.port}`,
    setAccount: (userId, state, role = 'CUSTOMER') => accounts.set(userId, { state, role }),
    callsFor: (userId) => calls.get(userId) ?? 0,
    // Hanging calls would hold a graceful shutdown open: cut them at once.
    stop: () => (stopped ??= server.stop(0)),
  };
}

export interface FakeTokenIssuer {
  /** Where the orders service fetches the public keys (JWKS_URL). */
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** An ES256 access token for the account, as the users service would sign it. */
  sign(subject: { id: string; role: Role }): Promise<string>;
  /** A well-formed token signed with a key that is not in the JWKS. */
  signWithUnknownKey(subject: { id: string; role: Role }): Promise<string>;
  stop(): Promise<void>;
}

const ISSUER = 'fedshop-users';
const AUDIENCE = 'fedshop-api';

function signToken(privateKey: CryptoKey, kid: string, subject: { id: string; role: Role }): Promise<string> {
  return new SignJWT({ role: subject.role })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject.id)
    .setIssuedAt()
    .setExpirationTime('15m')
    .sign(privateKey);
}

/**
 * Signs tokens with a fresh ES256 key and serves its public half at
 * `/.well-known/jwks.json` on a real HTTP server, the way the users service does.
 */
export async function startFakeTokenIssuer(): Promise<FakeTokenIssuer> {
  const kid = randomUUID();
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM);
  const stranger = await generateKeyPair(TOKEN_ALGORITHM);
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' }] });
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer: ISSUER,
    audience: AUDIENCE,
    sign: (subject) => signToken(privateKey, kid, subject),
    signWithUnknownKey: (subject) => signToken(stranger.privateKey, kid, subject),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
