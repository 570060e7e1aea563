import type { CustomerTier } from '../graphql/generated/graphql';

const LABELS: Record<CustomerTier, string> = { STANDARD: 'Standard', SILVER: 'Silver', GOLD: 'Gold' };

/** The loyalty tier, as text (never colour alone). */
export function TierBadge({ tier }: { tier: CustomerTier }) {
  return (
    <span className={`tier tier-${tier.toLowerCase()}`} data-testid="tier-badge" data-tier={tier}>
      {LABELS[tier]} tier
    </span>
  );
}
