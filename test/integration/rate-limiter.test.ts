import { DynamoRateLimiter } from '../../shared/adapters/dynamodb-rate-limiter';
import { DEFAULT_BUCKET } from '../../shared/domain/token-bucket';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 24, 12);
let db: TestDynamo;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

const limiter = () =>
  new DynamoRateLimiter({ client: db.doc, tableName: db.tables.control, config: DEFAULT_BUCKET });

describe('DynamoRateLimiter (dynalite)', () => {
  it('grants exactly 10 of 50 concurrent takes on a bucket of 10', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => limiter().take('storm', T0)));
    expect(results.filter((r) => r.granted)).toHaveLength(10);
    expect(results.filter((r) => r.contended)).toHaveLength(0);
    const stored = await limiter().peek('storm');
    expect(stored?.tokens).toBeCloseTo(0, 9);
    expect(stored?.version).toBe(10);
  });

  it('refills after simulated time: one token per 90 s', async () => {
    const l = limiter();
    for (let i = 0; i < 10; i++) expect((await l.take('refill', T0)).granted).toBe(true);
    expect((await l.take('refill', T0 + 60_000)).granted).toBe(false);
    expect((await l.take('refill', T0 + 90_000)).granted).toBe(true);
    expect((await l.take('refill', T0 + 90_000)).granted).toBe(false);
    const many = await Promise.all(
      Array.from({ length: 20 }, () => l.take('refill', T0 + 90_000 + 15 * MIN)),
    );
    expect(many.filter((r) => r.granted)).toHaveLength(10);
  });

  it('does not mint tokens for an invocation whose clock is behind', async () => {
    const l = limiter();
    for (let i = 0; i < 10; i++) await l.take('skew', T0 + 10 * MIN);
    const behind = await Promise.all(Array.from({ length: 5 }, () => l.take('skew', T0)));
    expect(behind.some((r) => r.granted)).toBe(false);
    expect((await l.peek('skew'))?.updatedAt).toBe(T0 + 10 * MIN);
  });
});
