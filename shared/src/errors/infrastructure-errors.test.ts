import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { AppError } from './app-error';
import { translateInfrastructureError } from './infrastructure-errors';

describe('translateInfrastructureError', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('infrastructure_errors');
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** Two transactions locking two rows in opposite orders: PostgreSQL aborts one with 40P01. */
  async function realDeadlock(): Promise<unknown> {
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await setup.query(
      'CREATE TABLE IF NOT EXISTS pair (id int PRIMARY KEY, n int NOT NULL); INSERT INTO pair VALUES (1, 0), (2, 0) ON CONFLICT DO NOTHING',
    );
    await setup.end();
    const [a, b] = [new pg.Client({ connectionString: database.url }), new pg.Client({ connectionString: database.url })];
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await a.query('UPDATE pair SET n = n + 1 WHERE id = 1');
      await b.query('UPDATE pair SET n = n + 1 WHERE id = 2');
      const outcomes = await Promise.allSettled([
        a.query('UPDATE pair SET n = n + 1 WHERE id = 2'),
        b.query('UPDATE pair SET n = n + 1 WHERE id = 1'),
      ]);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (!failed) throw new Error('expected a deadlock');
      return (failed as PromiseRejectedResult).reason;
    } finally {
      await Promise.allSettled([a.query('ROLLBACK'), b.query('ROLLBACK')]);
      await Promise.all([a.end(), b.end()]);
    }
  }

  test('when a transaction loses a deadlock, then it is a retryable SERVICE_UNAVAILABLE, not an internal error', async () => {
    const deadlock = await realDeadlock();
    expect((deadlock as { code?: string }).code).toBe('40P01');

    const translated = translateInfrastructureError(new Error('query failed', { cause: deadlock }));

    expect(translated).toBeInstanceOf(AppError);
    expect(translated).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(translated!.message).toMatch(/concurrent/);
  });

  test.each([
    [
      'Prisma reports a write conflict or deadlock (P2034)',
      { code: 'P2034', message: 'Transaction failed due to a write conflict or a deadlock' },
    ],
    [
      'the driver adapter reports a serialization failure (40001)',
      { code: 'P2010', meta: { driverAdapterError: { cause: { originalCode: '40001' } } } },
    ],
  ])('when %s, then it is a retryable SERVICE_UNAVAILABLE', (_label, error) => {
    expect(translateInfrastructureError(error)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  test('when the error is a constraint violation, then it is left alone (not infrastructure)', () => {
    expect(translateInfrastructureError({ code: '23505', message: 'duplicate key value violates unique constraint' })).toBeUndefined();
  });
});
