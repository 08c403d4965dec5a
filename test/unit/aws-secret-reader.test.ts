import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsSecretReader } from '../../shared/adapters/aws-secret-reader';
import { DependencyError, ValidationError } from '../../shared/errors';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:drift/pagerduty-AbCdEf';
const sm = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);

beforeEach(() => {
  sm.reset();
  ssm.reset();
});

function reader(now: () => number) {
  return new AwsSecretReader({ secretsManager: new SecretsManagerClient({}), ssm: new SSMClient({}), now });
}

describe('AwsSecretReader', () => {
  it('reads a Secrets Manager secret by its ARN and caches it for the TTL', async () => {
    // Prepare
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'key-1\n' })
      .resolves({ SecretString: 'key-2' });
    let t = 0;
    const secrets = reader(() => t);
    // Act
    const first = await secrets.read({ secretsManagerArn: SECRET_ARN });
    t = 299_999;
    const cached = await secrets.read({ secretsManagerArn: SECRET_ARN });
    t = 300_000;
    const refreshed = await secrets.read({ secretsManagerArn: SECRET_ARN });
    // Assess
    expect([first, cached, refreshed]).toEqual(['key-1', 'key-1', 'key-2']);
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
      { SecretId: SECRET_ARN },
      { SecretId: SECRET_ARN },
    ]);
  });

  it('takes one key of a JSON secret and names the key when it is missing', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"routingKey":"R0UT1NG","other":"x"}' });
    const secrets = reader(() => 0);
    await expect(secrets.read({ secretsManagerArn: SECRET_ARN, jsonKey: 'routingKey' })).resolves.toBe(
      'R0UT1NG',
    );
    const missing = secrets.read({ secretsManagerArn: SECRET_ARN, jsonKey: 'nope' });
    await expect(missing).rejects.toThrow(ValidationError);
    await expect(missing).rejects.toThrow('has no string nope');
  });

  it('reads an SSM SecureString with decryption and refuses a plain String parameter', async () => {
    ssm
      .on(GetParameterCommand, { Name: '/drift/webhook', WithDecryption: true })
      .resolves({ Parameter: { Name: '/drift/webhook', Type: 'SecureString', Value: 's3cret' } })
      .on(GetParameterCommand, { Name: '/drift/plain', WithDecryption: true })
      .resolves({ Parameter: { Name: '/drift/plain', Type: 'String', Value: 'visible' } });
    const secrets = reader(() => 0);
    await expect(secrets.read({ ssmParameter: '/drift/webhook' })).resolves.toBe('s3cret');
    await expect(secrets.read({ ssmParameter: '/drift/plain' })).rejects.toThrow('must be a SecureString');
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: '/drift/webhook', WithDecryption: true },
      { Name: '/drift/plain', WithDecryption: true },
    ]);
  });

  it('wraps SDK failures in DependencyError naming the secret, and does not cache them', async () => {
    sm.on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }))
      .resolves({ SecretString: 'after-fix' });
    const secrets = reader(() => 0);
    const failed = secrets.read({ secretsManagerArn: SECRET_ARN });
    await expect(failed).rejects.toThrow(DependencyError);
    await expect(failed).rejects.toThrow(SECRET_ARN);
    await expect(secrets.read({ secretsManagerArn: SECRET_ARN })).resolves.toBe('after-fix');
  });

  it('refuses an empty secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '  ' });
    await expect(reader(() => 0).read({ secretsManagerArn: SECRET_ARN })).rejects.toThrow('is empty');
  });
});
