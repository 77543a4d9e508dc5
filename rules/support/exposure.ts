import { type Node, type RoleSpec, nodeOf, v } from '../../src/api.js';

/** The roles Supabase's API (PostgREST) serves requests as. */
export const API_ROLES: readonly string[] = ['anon', 'authenticated'];

/** The option every rule about API roles takes. */
export const apiRolesOption = v.object({
  roles: v.optional(
    v.pipe(v.array(v.string()), v.description('The roles the API runs requests as (a GRANT TO PUBLIC reaches them too).')),
    [...API_ROLES],
  ),
});

/** Whether a GRANT or REVOKE names one of the API roles, or PUBLIC (which every role belongs to). */
export function namesApiRole(grantees: readonly Node[] | undefined, roles: readonly string[]): boolean {
  return (grantees ?? []).some((grantee) => {
    const role: RoleSpec | undefined = nodeOf(grantee, 'RoleSpec');
    return role?.roletype === 'ROLESPEC_PUBLIC' || (role?.rolename !== undefined && roles.includes(role.rolename));
  });
}

/** Whether a REVOKE takes access away from every API role (naming them, or PUBLIC and them). */
export function revokesFromAllApiRoles(grantees: readonly Node[] | undefined, roles: readonly string[]): boolean {
  const named = new Set((grantees ?? []).flatMap((grantee) => nodeOf(grantee, 'RoleSpec')?.rolename ?? []));
  return roles.every((role) => named.has(role));
}
