import { boundedLabel } from './bounded-label';

describe('bounded label', () => {
  test('when names come up, then the first ones are kept as they are and the rest share the overflow value', () => {
    const label = boundedLabel({ max: 2 });
    expect(['PlaceOrder', 'Me', 'Products', 'PlaceOrder'].map(label)).toEqual(['PlaceOrder', 'Me', 'other', 'PlaceOrder']);
  });

  test('when a value does not look like a name (an id, a long string), then it never becomes a label value', () => {
    const label = boundedLabel();
    expect(label('0190b6a4-7c1e-7000-8000-000000000000')).toBe('other');
    expect(label('A'.repeat(65))).toBe('other');
    expect(label('Query_1')).toBe('Query_1');
  });
});
