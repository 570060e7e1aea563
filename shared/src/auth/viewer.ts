/** Roles as the contract names them. */
export const ROLES = ['CUSTOMER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

/** Who is making a request, as proven by a verified token. `null` means anonymous. */
export interface Viewer {
  id: string;
  role: Role;
}

export function isAdmin(viewer: Viewer | null | undefined): boolean {
  return viewer?.role === 'ADMIN';
}
