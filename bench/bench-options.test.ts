import { parseBenchOptions, type BenchOptions } from './bench-options';

const parse = (...argv: string[]) => parseBenchOptions(argv, {}) as BenchOptions;

describe('parseBenchOptions', () => {
  test('when no flag is given, then all four scenarios run through ours, Apollo and Hive in 6 rounds', () => {
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
    expect(options.scenarios.map((scenario) => scenario.number)).toEqual([1, 2, 3, 4]);
    expect(options.gateways).toEqual(['ours', 'apollo', 'hive']);
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

  test('when a flag is wrong, then it says which', () => {
    expect(() => parse('--gateway', 'router')).toThrow('unknown gateway "router"');
    expect(() => parse('--connections', '0')).toThrow('--connections must be a positive number');
    expect(() => parse('--duration', '10', '--rounds', '3')).toThrow('whole number of seconds per round');
    expect(parseBenchOptions(['--help'], {})).toBe('help');
  });
});
