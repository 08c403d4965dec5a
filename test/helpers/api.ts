import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/** An API Gateway REST proxy event as AWS_IAM-authorized requests arrive (caller ARN in the identity). */
export function apiEvent(
  method: string,
  path: string,
  options: {
    readonly query?: Record<string, string>;
    readonly body?: unknown;
    readonly rawBody?: string;
    readonly contentType?: string | null;
    /** Caller ARN; null: no identity at all. */
    readonly userArn?: string | null;
  } = {},
): APIGatewayProxyEvent {
  const body = options.rawBody ?? (options.body === undefined ? null : JSON.stringify(options.body));
  const contentType = options.contentType === undefined ? 'application/json' : options.contentType;
  const userArn = options.userArn === undefined ? 'arn:aws:iam::123456789012:user/alice' : options.userArn;
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
      authorizer: null,
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
        userArn,
      },
    },
  };
}

/** Status and parsed JSON body of a proxy result. */
export function parsed(result: APIGatewayProxyResult): { status: number; body: Record<string, unknown> } {
  return { status: result.statusCode, body: result.body === '' ? {} : JSON.parse(result.body) };
}
