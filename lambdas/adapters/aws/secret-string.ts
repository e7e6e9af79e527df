// Secrets Manager behind one call: a secret's string value, or an error that names the secret. Loaded on first
// use by whoever needs a secret (the cursor key, the canary's token), so functions that never read one skip the
// client's module init.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let client: SecretsManagerClient | undefined;

/** The secret's SecretString as stored; a secret without one (binary, or empty) is an error, never an empty key. */
export async function readSecretString(secretArn: string): Promise<string> {
  const secret = await (client ??= new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (!secret.SecretString) throw new Error(`secret ${secretArn} has no string value`);
  return secret.SecretString;
}
