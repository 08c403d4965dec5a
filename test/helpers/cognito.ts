// Test helper: a real cognito-local (child process, loopback) with the dashboard's pool, client, `staff`
// group and users, in a temporary directory removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalCognito, startCognitoLocal } from '../../infra/local/cognito-local';

/** A running cognito-local and a way to sign in. */
export interface TestCognito extends LocalCognito {
  /** USER_PASSWORD_AUTH against cognito-local directly: the tokens. */
  signIn(
    username: string,
    password: string,
    clientId?: string,
  ): Promise<{ IdToken: string; AccessToken: string; RefreshToken: string }>;
  close(): Promise<void>;
}

/** Start cognito-local for a test file. */
export async function startTestCognito(): Promise<TestCognito> {
  const dir = mkdtempSync(join(tmpdir(), 'cognito-local-'));
  const cognito = await startCognitoLocal({ dir });
  return {
    ...cognito,
    signIn: async (username, password, clientId = cognito.clientId) => {
      const out = (await cognito.call('InitiateAuth', {
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      })) as { AuthenticationResult: { IdToken: string; AccessToken: string; RefreshToken: string } };
      return out.AuthenticationResult;
    },
    close: async () => {
      await cognito.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
