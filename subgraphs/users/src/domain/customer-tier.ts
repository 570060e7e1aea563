export type CustomerTier = 'STANDARD' | 'SILVER' | 'GOLD';

/** Lifetime spend (cents) from which each tier starts, highest first. */
export const TIER_THRESHOLDS: readonly { tier: CustomerTier; fromCents: number }[] = [
  { tier: 'GOLD', fromCents: 500_000 },
  { tier: 'SILVER', fromCents: 100_000 },
  { tier: 'STANDARD', fromCents: Number.NEGATIVE_INFINITY },
];

/** The tier a lifetime spend earns; cancellations count back down. */
export function tierFor(lifetimeSpendCents: number): CustomerTier {
  return TIER_THRESHOLDS.find((threshold) => lifetimeSpendCents >= threshold.fromCents)!.tier;
}
