// The shape of every id the server takes from outside: path parameters, ids in request bodies,
// and the ids devices send (Apple UDID, EnrollmentID and serial number; Android serial number).
// Real ones are far shorter (UDIDs 25–40 characters, EnrollmentIDs are UUIDs, serials at most 64,
// server-made ids under 50); the cap keeps DynamoDB keys small (a 3,000-character key is refused
// there, which was a 500) and the alphabet keeps `#`, the key separator, out of them.
// docs/operations.md "Limits" lists these.

export const ID_MAX_LENGTH = 128;
export const ID_PATTERN = /^[A-Za-z0-9._:-]+$/;
export const ID_RULE = `1 to ${ID_MAX_LENGTH} characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'`;

export const isValidId = (value: string): boolean => value.length <= ID_MAX_LENGTH && ID_PATTERN.test(value);

/** A tenant id: it is in every device URL and every key of the tenant. */
export const TENANT_ID_PATTERN = /^[a-z0-9-]{3,40}$/;
export const TENANT_ID_RULE = '3 to 40 characters of a-z, 0-9 and -';

export function isTenantId(value: string | undefined): value is string {
  return TENANT_ID_PATTERN.test(value ?? '');
}
