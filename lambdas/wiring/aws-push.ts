// The push worker's senders: APNs over HTTP/2 with each tenant's certificate, FCM via firebase-admin.
import { ApnsSender } from '../adapters/apns/apns-sender';
import { FcmSender } from '../adapters/fcm/fcm-sender';
import { apnsCredentials, fcmCredentials } from '../service/push-credential-loaders';
import type { PushSenderFactory } from './aws';

export const pushSenders: PushSenderFactory = (app, env, clock) => ({
  apns: new ApnsSender({ origin: env.APNS_ORIGIN, credentials: apnsCredentials(app), now: () => clock.now() }),
  fcm: new FcmSender({ credentials: fcmCredentials(app) }),
});
