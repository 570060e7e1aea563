import { parseBenchOptions, type BenchOptions } from './bench-options';

const parse = (...argv: string[]) => parseBenchOptions(argv, {}) as BenchOptions;

describe('parseBenchOptions', () => {
  test('when no flag is given, then all five scenarios run in both forms through ours, ours with its cache, Apollo and Hive in 6 rounds', () => {
    const options = parse();
    expect(options).toMatchObject({
      quick: false,
      warmupSeconds: 5,
      durationSeconds: 18,
      rounds: 6,
      connections: 10,
      accounts: 50,
      profile: false,
    });
    expect(options.scenarios.map((scenario) => scenario.number)).toEqual([1, 2, 3, 4, 5]);
    expect(options.forms).toEqual(['distinct', 'identical']);
    expect(options.gateways).toEqual(['ours', 'ours-cache', 'apollo', 'hive']);
    expect(options.output).toMatch(/bench\/results\/latest\.json$/);
  });

  test('when --quick is given, then each gateway gets 1 s of warm-up and two 2 s rounds per scenario', () => {
    expect(parse('--quick')).toMatchObject({ warmupSeconds: 1, durationSeconds: 4, rounds: 2 });
  });

  test('when gateways are named in any order, then they run in report order', () => {
    expect(parse('--gateway', 'hive,ours-lean,ours').gateways).toEqual(['ours', 'ours-lean', 'hive']);
  });

  test('when TEST_DATABASE_URL is set, then the databases go to that server', () => {
    expect(parseBenchOptions([], { TEST_DATABASE_URL: 'postgres://pg:5432/postgres' })).toMatchObject({
      databaseServerUrl: 'postgres://pg:5432/postgres',
    });
    expect(parse().databaseServerUrl).toBeUndefined();
  });

  test('when the subscription scenario is asked for alone, then no HTTP scenario runs and the counts are as given', () => {
    expect(parse().subscribers).toEqual([1_000, 5_000]);
    expect(parse('--quick').subscribers).toEqual([200]);
    const alone = parse('--scenario', 'none', '--subscribers', '1000', '--order-rate', '20');
    expect(alone).toMatchObject({ subscribers: [1_000], subscriptionOrdersPerSecond: 20, subscriptionSeconds: 10 });
    expect(alone.scenarios).toEqual([]);
    expect(parse('--subscribers', '0').subscribers).toEqual([]);
  });

  test('when a flag is wrong, then it says which', () => {
    expect(() => parse('--gateway', 'router')).toThrow('unknown gateway "router"');
    expect(() => parse('--form', 'same')).toThrow('unknown form "same"');
    expect(parse('--form', 'identical,distinct').forms).toEqual(['distinct', 'identical']);
    expect(() => parse('--connections', '0')).toThrow('--connections must be a positive number');
    expect(() => parse('--duration', '10', '--rounds', '3')).toThrow('whole number of seconds per round');
    expect(parseBenchOptions(['--help'], {})).toBe('help');
  });
});
