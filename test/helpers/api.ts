import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** The app client id the test API accepts. */
export const TEST_CLIENT_ID = 'testclient123';

/** Claims of a staff member's ID token as API Gateway's Cognito authorizer passes them (all strings). */
export const STAFF_CLAIMS: Readonly<Record<string, string>> = {
  sub: '0f6c1d2e-0000-4000-8000-000000000001',
  'cognito:username': 'alice',
  email: 'alice@example.com',
  'cognito:groups': 'staff',
  token_use: 'id',
  aud: TEST_CLIENT_ID,
};

/** Who {@link STAFF_CLAIMS} is recorded as. */
export const STAFF_ACTOR = 'alice@example.com';

/**
 * An API Gateway REST proxy event as it arrives through the Cognito user pool authorizer (the verified
 * token's claims under `requestContext.authorizer.claims`).
 */
export function apiEvent(
  method: string,
  path: string,
  options: {
    readonly query?: Record<string, string>;
    readonly body?: unknown;
    readonly rawBody?: string;
    readonly contentType?: string | null;
    /** The token's claims; null: no authorizer context (an unauthenticated request). @default STAFF_CLAIMS */
    readonly claims?: Readonly<Record<string, string>> | null;
  } = {},
): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  const claims = options.claims === undefined ? STAFF_CLAIMS : options.claims;
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: contentType === null ? {} : { 'Content-Type': contentType },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      authorizer: claims === null ? null : { claims: { ...claims } },
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/v1${path}`,
      stage: 'v1',
      requestId: 'req-1',
      requestTimeEpoch: 0,
      resourceId: 'r',
      resourcePath: path,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '192.0.2.1',
        user: null,
        userAgent: 'test',
        userArn: null,
      },
    },
  };
}

/** Status and parsed JSON body of a proxy result. */
export function parsed(result: APIGatewayProxyResult): { status: number; body: Record<string, unknown> } {
  return { status: result.statusCode, body: result.body === '' ? {} : JSON.parse(result.body) };
}
