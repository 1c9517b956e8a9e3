// Deployed SecretBox: envelope encryption with a KMS data key per seal; the tenant/name context
// is the KMS encryption context, so a sealed value only opens for the item it was written for.
// The SDK client is loaded at the first seal or open: most requests never touch a secret.
import type { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SecretBox } from '../../ports';
import { AesSecretBox } from '../local/secret-box';

export class KmsSecretBox implements SecretBox {
  private kms?: Promise<{
    client: KMSClient;
    DecryptCommand: typeof DecryptCommand;
    GenerateDataKeyCommand: typeof GenerateDataKeyCommand;
  }>;

  constructor(private readonly keyId: string) {}

  private load() {
    this.kms ??= import('@aws-sdk/client-kms').then((m) => ({
      client: new m.KMSClient({}),
      DecryptCommand: m.DecryptCommand,
      GenerateDataKeyCommand: m.GenerateDataKeyCommand,
    }));
    return this.kms;
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const { client, GenerateDataKeyCommand } = await this.load();
    const dataKey = await client.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { secret: context } }),
    );
    const sealed = await new AesSecretBox(Buffer.from(dataKey.Plaintext!)).seal(plaintext, context);
    return `kms.${Buffer.from(dataKey.CiphertextBlob!).toString('base64')}.${sealed}`;
  }

  async open(sealed: string, context: string): Promise<string> {
    const [prefix, wrappedKey, ...rest] = sealed.split('.');
    if (prefix !== 'kms' || !wrappedKey) throw new Error('sealed secret has an unknown format');
    const { client, DecryptCommand } = await this.load();
    const key = await client.send(
      new DecryptCommand({ CiphertextBlob: Buffer.from(wrappedKey, 'base64'), EncryptionContext: { secret: context } }),
    );
    return new AesSecretBox(Buffer.from(key.Plaintext!)).open(rest.join('.'), context);
  }
}
