import type { Role } from '@fedshop/shared/auth';
import type { CustomerTier } from './customer-tier';

export type UserStatus = 'ACTIVE' | 'SUSPENDED';

/** An account as the rest of the service sees it: never carries the password hash. */
export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: UserStatus;
  /** Sum of placed minus cancelled order totals, in cents (from order events). */
  lifetimeSpendCents: number;
  tier: CustomerTier;
  createdAt: Date;
}

/** An account plus its credential, only for signing in. */
export interface UserWithCredentials extends User {
  passwordHash: string;
}
