import type { Role } from './types';

const rank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function atLeast(role: Role | undefined, min: Role): boolean {
  if (!role) return false;
  return (rank[role] ?? -1) >= rank[min];
}

/** create/edit/delete assistants, tools, squads, phone numbers, files, calls */
export const canEditResources = (role?: Role) => atLeast(role, 'member');
/** API keys, credentials, org settings, members, invitations */
export const canAdmin = (role?: Role) => atLeast(role, 'admin');
export const canReadSecrets = (role?: Role) => atLeast(role, 'admin');

export const ROLES: Role[] = ['owner', 'admin', 'member', 'viewer'];
