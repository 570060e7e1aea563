import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestDatabase, type TestDatabase } from '@fedshop/shared/testing';
import { PrismaClient } from '../src/generated/prisma/client';
import { createUserRepository } from '../src/repositories/user-repository';
import { createPasswordHasher } from '../src/security/password-hasher';
import { ensureAdmin } from '../src/use-cases/manage-accounts';
import type { UsersDependencies } from '../src/use-cases/dependencies';
import { errorCodes } from '../../../test/support/graphql-client';
import {
  SIGN_IN,
  signUpCustomer,
  startUsersUnderTest,
  TEST_ADMIN,
  type StartUsersOptions,
  type UsersUnderTest,
} from './support/start-users-under-test';

describe('users service: start, restart and health', () => {
  const services: UsersUnderTest[] = [];
  const databases: TestDatabase[] = [];
  const dataDirs: string[] = [];

  async function start(options: StartUsersOptions = {}): Promise<UsersUnderTest> {
    const users = await startUsersUnderTest(options);
    services.push(users);
    return users;
  }
  /** A database and DATA_DIR that outlive one service instance, so it can be restarted on them. */
  async function persistentState(): Promise<{ database: TestDatabase; dataDir: string }> {
    const database = await createTestDatabase('users_restart');
    databases.push(database);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fedshop-users-restart-'));
    dataDirs.push(dataDir);
    return { database, dataDir };
  }
  async function accountsWithEmail(users: UsersUnderTest, email: string) {
    const result = await users.sql.query<{ id: string; role: string; status: string; password_hash: string }>(
      'SELECT id, role, status, password_hash FROM users WHERE email = $1',
      [email],
    );
    return result.rows;
  }

  afterAll(async () => {
    for (const users of services) await users.stop();
    await Promise.all(databases.map((database) => database.drop()));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  describe('health', () => {
    let users: UsersUnderTest;
    beforeAll(async () => {
      users = await start();
    });

    test('when /healthz is asked, then 200', async () => {
      const response = await fetch(`${users.url}/healthz`);

      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });

    test('when /readyz is asked, then 200 with the database reachable, migrations applied and the event transport named', async () => {
      const response = await fetch(`${users.url}/readyz`);

      expect(response.status).toBe(200);
      // No NATS_URL: order events come from the orders outbox feed, as under `npm start`.
      expect(await response.json()).toEqual({
        status: 'ok',
        checks: { database: 'ok', migrations: 'ok' },
        events: { transport: 'outbox-feed', consumer: 'users-loyalty' },
      });
    });
  });

  describe('admin bootstrap', () => {
    test('when the service has started, then the configured admin exists as an active ADMIN and can sign in', async () => {
      const users = await start();

      const rows = await accountsWithEmail(users, TEST_ADMIN.email);
      const signIn = await users.gql(SIGN_IN, { input: TEST_ADMIN });

      expect(rows).toEqual([expect.objectContaining({ role: 'ADMIN', status: 'ACTIVE' })]);
      expect(signIn.errors).toEqual([]);
      expect(signIn.data!.signIn.user).toMatchObject({ id: rows[0]!.id, email: TEST_ADMIN.email, role: 'ADMIN' });
    });

    test('when restarted on the same database with another ADMIN_PASSWORD, then the admin is neither duplicated nor re-passworded', async () => {
      const state = await persistentState();
      const first = await start(state);
      const before = await accountsWithEmail(first, TEST_ADMIN.email);
      const customer = await signUpCustomer(first);
      await first.stop();

      const second = await start({ ...state, env: { ADMIN_PASSWORD: 'a-brand-new-password' } });

      expect(await accountsWithEmail(second, TEST_ADMIN.email)).toEqual(before);
      expect(Number((await second.sql.query('SELECT count(*) FROM users')).rows[0].count)).toBe(2);
      expect((await second.gql(SIGN_IN, { input: TEST_ADMIN })).data!.signIn.user.role).toBe('ADMIN');
      const withNewPassword = await second.gql(SIGN_IN, { input: { email: TEST_ADMIN.email, password: 'a-brand-new-password' } });
      expect(errorCodes(withNewPassword)).toEqual(['UNAUTHENTICATED']);
      // Same DATA_DIR, same development signing key: tokens issued before the restart still work.
      const me = await second.gql('{ me { id } }', {}, { token: customer.token });
      expect(me.data).toEqual({ me: { id: customer.user.id } });
      const jwks = await (await fetch(`${second.url}/.well-known/jwks.json`)).text();
      expect(jwks).not.toMatch(/"d"\s*:/);
    });

    test('when replicas bootstrap the admin at the same moment on a fresh database, then every one succeeds and one account exists', async () => {
      const state = await persistentState();
      // The service migrates the database; the replicas' bootstrap then runs side by side on it.
      const users = await start({ ...state, env: { ADMIN_EMAIL: 'replicas@example.com', ADMIN_PASSWORD: 'replica-password' } });
      await users.sql.query('DELETE FROM users');
      const pool = new pg.Pool({ connectionString: state.database.url, max: 8 });
      const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
      try {
        const deps = { users: createUserRepository(prisma), passwords: createPasswordHasher(1024), logger: pino({ level: 'silent' }) };
        // Each looks the account up (none yet), hashes the password, then creates it: all but one lose the race.
        const results = await Promise.allSettled(
          Array.from({ length: 4 }, () =>
            ensureAdmin(deps as unknown as UsersDependencies, { email: 'replicas@example.com', password: 'replica-password' }),
          ),
        );

        const rows = await accountsWithEmail(users, 'replicas@example.com');
        expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
        expect(rows).toEqual([expect.objectContaining({ role: 'ADMIN' })]);
        expect(new Set(results.map((result) => (result as PromiseFulfilledResult<{ id: string }>).value.id))).toEqual(
          new Set([rows[0]!.id]),
        );
      } finally {
        await prisma.$disconnect();
        await pool.end();
      }
    });

    test('when an existing CUSTOMER has the admin email (any case), then the restart promotes it, keeping its password', async () => {
      const state = await persistentState();
      const first = await start(state);
      const boss = await signUpCustomer(first, { email: 'boss@example.com', password: 'the-boss-password' });
      expect(boss.user.role).toBe('CUSTOMER');
      const before = await accountsWithEmail(first, 'boss@example.com');
      await first.stop();

      const second = await start({ ...state, env: { ADMIN_EMAIL: '  Boss@Example.COM ', ADMIN_PASSWORD: 'ignored-password' } });

      const after = await accountsWithEmail(second, 'boss@example.com');
      expect(after).toEqual([{ ...before[0], role: 'ADMIN' }]);
      const signIn = await second.gql(SIGN_IN, { input: { email: 'boss@example.com', password: 'the-boss-password' } });
      expect(signIn.errors).toEqual([]);
      expect(signIn.data!.signIn.user).toMatchObject({ id: boss.user.id, role: 'ADMIN' });
      const listing = await second.gql('{ users(first: 1) { totalCount } }', {}, { token: signIn.data!.signIn.token });
      expect(listing.errors).toEqual([]);
    });
  });
});
