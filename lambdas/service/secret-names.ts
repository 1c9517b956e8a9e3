// The names a tenant's secrets are kept under in the SecretStore: one list, so no two concerns
// share a name and what the server stores per tenant reads in one place.

/** The device CA's private key (the certificate itself is public, on the tenant). */
export const CA_KEY_SECRET = 'device-ca-key';
/** The APNs MDM push certificate and its key. */
export const APNS_CERT_SECRET = 'apns-certificate';
export const APNS_KEY_SECRET = 'apns-key';
/** The certificate (with its intermediates) and key that sign enrollment profiles. */
export const SIGNING_CERT_SECRET = 'profile-signing-certificate';
export const SIGNING_KEY_SECRET = 'profile-signing-key';
/** The FCM service-account JSON. */
export const FCM_SECRET = 'fcm-service-account';
/** An Apple device's UnlockToken (ClearPasscode needs it). */
export const UNLOCK_TOKEN_SECRET = (deviceId: string) => `unlock-token#${deviceId}`;
/** A webhook's signing secret (shown once, at creation). */
export const WEBHOOK_SECRET = (webhookId: string) => `webhook-secret#${webhookId}`;
