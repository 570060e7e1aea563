import { useApolloClient, useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { navigate, usePageTitle } from '../app/router';
import { useSession } from '../app/services-context';
import { describeError, type ErrorDescription } from '../errors/describe-error';
import { ErrorNotice } from '../errors/error-notice';
import { formatDateTime, formatMoney } from '../format';
import { UpdateProfileDocument } from '../graphql/generated/graphql';
import { Field } from './auth-page';
import { TierBadge } from './tier-badge';
import { useLoyalty } from './use-loyalty';

/** Thresholds of the tiers (users service, domain/customer-tier.ts). */
const NEXT_TIER: Record<string, { name: string; fromCents: number } | undefined> = {
  STANDARD: { name: 'Silver', fromCents: 100_000 },
  SILVER: { name: 'Gold', fromCents: 500_000 },
};

export function ProfilePage() {
  usePageTitle('My profile');
  const { state, session } = useSession();
  const client = useApolloClient();
  const user = state.status === 'signed-in' ? state.user : null;
  const loyalty = useLoyalty(user !== null);
  const [updateProfile, { loading }] = useMutation(UpdateProfileDocument);
  const [error, setError] = useState<ErrorDescription | null>(null);
  const [saved, setSaved] = useState(false);
  if (!user) return null;
  const tier = loyalty.data?.me?.tier ?? user.tier;
  const spend = loyalty.data?.me?.lifetimeSpendCents ?? user.lifetimeSpendCents;
  const next = NEXT_TIER[tier];

  async function rename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const result = await updateProfile({ variables: { input: { name: String(new FormData(event.currentTarget).get('name') ?? '') } } });
      if (result.data) session.updateUser(result.data.updateProfile);
      setSaved(true);
    } catch (caught) {
      setError(describeError(caught));
    }
  }

  async function signOut() {
    await session.signOut().catch(() => undefined);
    await client.clearStore();
    navigate('/');
  }

  return (
    <section aria-labelledby="page-heading" className="narrow">
      <h1 id="page-heading" tabIndex={-1}>
        My profile
      </h1>
      <div className="card">
        <p>
          <TierBadge tier={tier} />
        </p>
        <dl className="facts">
          <dt>Lifetime spend</dt>
          <dd data-testid="lifetime-spend">{formatMoney(spend, 'USD')}</dd>
          <dt>Email</dt>
          <dd>{user.email}</dd>
          <dt>Member since</dt>
          <dd>{formatDateTime(user.createdAt)}</dd>
        </dl>
        {next ? (
          <p className="muted">
            {formatMoney(Math.max(0, next.fromCents - spend), 'USD')} more to reach {next.name}.
          </p>
        ) : null}
      </div>
      <h2>Display name</h2>
      {error && !error.field ? <ErrorNotice error={error} /> : null}
      <form onSubmit={(event) => void rename(event)}>
        <Field
          label="Name"
          name="name"
          defaultValue={user.name}
          required
          maxLength={100}
          error={error?.field === 'input.name' ? error.message : null}
        />
        <button type="submit" disabled={loading}>
          Save name
        </button>
        <span role="status">{saved ? 'Saved.' : ''}</span>
      </form>
      <h2>Session</h2>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </section>
  );
}
