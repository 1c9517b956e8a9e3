// Deployed SecretBox: envelope encryption with a KMS data key per seal; the tenant/name context
// is the KMS encryption context, so a sealed value only opens for the item it was written for.
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox } from '../../ports';
import { AesSecretBox } from '../local/secret-box';

export class KmsSecretBox implements SecretBox {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
  ) {}

  async seal(plaintext: string, context: string): Promise<string> {
    const dataKey = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { secret: context } }),
    );
    const sealed = await new AesSecretBox(Buffer.from(dataKey.Plaintext!)).seal(plaintext, context);
    return `kms.${Buffer.from(dataKey.CiphertextBlob!).toString('base64')}.${sealed}`;
  }

  async open(sealed: string, context: string): Promise<string> {
    const [prefix, wrappedKey, ...rest] = sealed.split('.');
    if (prefix !== 'kms' || !wrappedKey) throw new Error('sealed secret has an unknown format');
    const key = await this.kms.send(
      new DecryptCommand({ CiphertextBlob: Buffer.from(wrappedKey, 'base64'), EncryptionContext: { secret: context } }),
    );
    return new AesSecretBox(Buffer.from(key.Plaintext!)).open(rest.join('.'), context);
  }
}
