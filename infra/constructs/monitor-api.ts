// (infra) the monitor's HTTP API: an API Gateway REST API whose resources and methods are generated from
// the API contract's route list (shared/api/contract.ts), every method behind the Cognito user pool authorizer
// (the function then requires the `staff` group) and one Lambda proxy integration, CORS for the dashboard
// origin only, JSON access logs, a request validator, and error responses in the API's own
// `{ error, field }` shape, readable by the dashboard.
import { Duration, Size, Token, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ValidationError } from '../../shared/errors';
import type { MonitorFunction } from './monitor-function';

/** One route as the API needs it. */
export interface ApiRouteProps {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template, e.g. `/api/thresholds/{metric}`. */
  readonly path: string;
  readonly summary: string;
  /** The route takes a JSON body (validated at the gateway to be a JSON object). */
  readonly hasBody: boolean;
}

/** Properties of {@link MonitorApi}. */
export interface MonitorApiProps {
  /** The function that serves every route (proxy integration). */
  readonly handler: MonitorFunction;
  /** The routes; each becomes a method on its resource. */
  readonly routes: readonly ApiRouteProps[];
  /** The user pool whose ID tokens the authorizer accepts (the function checks the group). */
  readonly userPool: cognito.IUserPool;
  /** The one origin browsers may call the API from (the dashboard, `https://<host>`); may be a token. */
  readonly allowedOrigin: string;
  /**
   * Stage name (the URL's first path segment).
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * Steady-state requests per second across the stage (the what-if preview is CPU-heavy).
   * @default 10
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst.
   * @default 20
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Per-client limits: a WAFv2 web ACL on the stage with per-IP rate-based rules (5-minute windows).
   * @default none - the stage throttle is the only limit, and one client can use it up
   */
  readonly waf?: MonitorApiWafProps;
  /**
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_YEAR - who changed thresholds is audit data
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** Per-IP limits of the web ACL, requests per 5 minutes (WAF's minimum is 10). */
export interface MonitorApiWafProps {
  /** Any request. */
  readonly requestsPer5MinutesPerIp: number;
  /** Requests without an Authorization header (no token: probes), CORS preflights aside. */
  readonly unauthenticatedPer5MinutesPerIp: number;
}

const PATH = /^(\/(?:[a-z0-9-]+|\{[A-Za-z][A-Za-z0-9]*\}))+$/;

/**
 * REST API, regional, with: a Cognito user pool authorizer on every method (the `Authorization: Bearer`
 * ID token is verified before the function runs; its claims reach the function, which requires the
 * `staff` group and records the user as the actor of a change), CORS preflights for the dashboard origin,
 * a JSON access log of every request (user, route, status, latencies, errors), X-Ray tracing, stage
 * throttling, a request validator (bodies must be JSON objects; field-level validation is the handler's
 * zod schemas, so a 400 names its field), and gateway errors as JSON the dashboard can read.
 */
export class MonitorApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigateway.RestApi;
  /** Its access log group. */
  public readonly accessLogs: logs.LogGroup;
  /** Validates bodies and parameters before the function is invoked. */
  public readonly validator: apigateway.RequestValidator;
  /** Verifies the Cognito ID token of every request. */
  public readonly authorizer: apigateway.CognitoUserPoolsAuthorizer;
  /** The stage's web ACL, when {@link MonitorApiProps.waf} is set. */
  public readonly webAcl?: wafv2.CfnWebACL;

  public constructor(scope: Construct, id: string, props: MonitorApiProps) {
    super(scope, id);
    const issues: string[] = [];
    const seen = new Set<string>();
    if (props.routes.length === 0) issues.push('routes: at least one route');
    for (const r of props.routes) {
      if (!PATH.test(r.path)) issues.push(`routes: '${r.path}' is not a path template`);
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) issues.push(`routes: ${key} appears twice`);
      seen.add(key);
    }
    if (!Token.isUnresolved(props.allowedOrigin) && !/^https:\/\/[^/]+$/.test(props.allowedOrigin)) {
      issues.push('allowedOrigin: must be https://<host> (no path, no trailing slash)');
    }
    if (issues.length > 0) throw new ValidationError(`Invalid MonitorApi ${id}`, issues);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    const F = apigateway.AccessLogField;
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description:
        'Drift Sentinel API: staff dashboard data, false-positive feedback, thresholds, what-if preview, ' +
        'maintenance windows',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: false,
      // The health view's sparklines are ~130 KB of JSON for 50 series: gzip what the browser accepts.
      minCompressionSize: Size.kibibytes(1),
      // Preflights (OPTIONS, no authorizer: browsers send them without credentials) for the dashboard only.
      defaultCorsPreflightOptions: {
        allowOrigins: [props.allowedOrigin],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowHeaders: ['Authorization', 'Content-Type'],
        maxAge: Duration.hours(1),
      },
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 10,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 20,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: F.contextRequestId(),
            time: F.contextRequestTime(),
            ip: F.contextIdentitySourceIp(),
            user: F.contextAuthorizerClaims('email'),
            sub: F.contextAuthorizerClaims('sub'),
            method: F.contextHttpMethod(),
            resource: F.contextResourcePath(),
            path: F.contextPath(),
            status: F.contextStatus(),
            responseLength: F.contextResponseLength(),
            latencyMs: F.contextResponseLatency(),
            integrationLatencyMs: F.contextIntegrationLatency(),
            error: F.contextErrorMessage(),
            integrationError: F.contextIntegrationErrorMessage(),
          }),
        ),
      },
    });

    this.validator = new apigateway.RequestValidator(this, 'Validator', {
      restApi: this.restApi,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const jsonObject = this.restApi.addModel('JsonObject', {
      contentType: 'application/json',
      modelName: 'JsonObject',
      description: 'Any JSON object; the handler validates its fields and names the bad one',
      schema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        title: 'JsonObject',
        type: apigateway.JsonSchemaType.OBJECT,
      },
    });

    this.authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });
    const integration = new apigateway.LambdaIntegration(props.handler.lambdaFunction, {
      allowTestInvoke: false,
    });
    for (const r of props.routes) {
      this.restApi.root.resourceForPath(r.path).addMethod(r.method, integration, {
        authorizationType: apigateway.AuthorizationType.COGNITO,
        authorizer: this.authorizer,
        requestValidator: this.validator,
        ...(r.hasBody ? { requestModels: { 'application/json': jsonObject } } : {}),
      });
    }

    // Gateway-made errors (401 no or bad token, 403 unknown route, 429 throttled, 400 body not an object,
    // 5xx) in the handler's error shape, with the CORS header so the dashboard can read them (a 401 must
    // reach it as a 401 to send the user to sign in, not as a CORS failure).
    const json = (field: string | null) => ({
      'application/json': `{"error":$context.error.messageString,"field":${field === null ? 'null' : `"${field}"`}}`,
    });
    const cors = { 'Access-Control-Allow-Origin': `'${props.allowedOrigin}'`, Vary: "'Origin'" };
    const responses: [string, apigateway.ResponseType, string | null][] = [
      ['Default4xx', apigateway.ResponseType.DEFAULT_4XX, null],
      ['Default5xx', apigateway.ResponseType.DEFAULT_5XX, null],
      ['BadRequestBody', apigateway.ResponseType.BAD_REQUEST_BODY, 'body'],
      ['Unauthorized', apigateway.ResponseType.UNAUTHORIZED, 'authorization'],
      ['AccessDenied', apigateway.ResponseType.ACCESS_DENIED, 'authorization'],
    ];
    for (const [id, type, field] of responses) {
      this.restApi.addGatewayResponse(id, { type, templates: json(field), responseHeaders: cors });
    }

    if (props.waf) {
      this.webAcl = this.protectPerClient(id, props.waf, props.allowedOrigin);
    } else {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          'Per-client protection is switched off in the monitoring config (api.waf.enabled: false), to save ' +
          "the web ACL's price: the stage throttle is then the only limit, and one client can use it up for " +
          'everyone. Requests without a valid Cognito token are still refused before the integration.',
      });
    }
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG6',
      reason:
        'Execution logs would add request traces only: the JSON access log already records every request ' +
        '(caller, route, status, latencies, gateway and integration errors) and the function logs each one. ' +
        'Both kinds use the region-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), a singleton ' +
        'this stack must not take over; docs/security.md says how to set it once per account and region.',
    });
  }

  /**
   * A web ACL on the stage: per source IP, requests without a token are limited tightly (nobody signed
   * in needs many), all requests less so; a client over a limit gets 429 in the API's error shape.
   */
  private protectPerClient(id: string, waf: MonitorApiWafProps, allowedOrigin: string): wafv2.CfnWebACL {
    const issues: string[] = [];
    const limits = {
      requestsPer5MinutesPerIp: waf.requestsPer5MinutesPerIp,
      unauthenticatedPer5MinutesPerIp: waf.unauthenticatedPer5MinutesPerIp,
    };
    for (const [name, limit] of Object.entries(limits)) {
      if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) {
        issues.push(`waf.${name}: must be an integer from 10 to 2,000,000,000 (WAF's range)`);
      }
    }
    if (issues.length > 0) throw new ValidationError(`Invalid MonitorApi ${id}`, issues);
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    // With the CORS header, so the dashboard reads a 429 as such (not as a network failure).
    const tooMany = {
      customResponse: {
        responseCode: 429,
        customResponseBodyKey: 'tooMany',
        responseHeaders: [
          { name: 'Access-Control-Allow-Origin', value: allowedOrigin },
          { name: 'Vary', value: 'Origin' },
          { name: 'Retry-After', value: '300' },
        ],
      },
    };
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'Drift Sentinel API: per-client request rates',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${id}WebAcl`),
      customResponseBodies: {
        tooMany: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            error: 'Too many requests from this address; try again in a few minutes',
            field: null,
          }),
        },
      },
      rules: [
        {
          name: 'UnauthenticatedPerIp',
          priority: 0,
          action: { block: tooMany },
          statement: {
            rateBasedStatement: {
              limit: waf.unauthenticatedPer5MinutesPerIp,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              // Counts requests that carry no Authorization header, except CORS preflights (browsers
              // send those without credentials, one per distinct URL): the PerIp rule bounds those.
              scopeDownStatement: {
                andStatement: {
                  statements: [
                    {
                      notStatement: {
                        statement: {
                          sizeConstraintStatement: {
                            fieldToMatch: { singleHeader: { Name: 'authorization' } },
                            comparisonOperator: 'GT',
                            size: 0,
                            textTransformations: [{ priority: 0, type: 'NONE' }],
                          },
                        },
                      },
                    },
                    {
                      notStatement: {
                        statement: {
                          byteMatchStatement: {
                            fieldToMatch: { method: {} },
                            positionalConstraint: 'EXACTLY',
                            searchString: 'OPTIONS',
                            textTransformations: [{ priority: 0, type: 'NONE' }],
                          },
                        },
                      },
                    },
                  ],
                },
              },
            },
          },
          visibilityConfig: visibility(`${id}UnauthenticatedPerIp`),
        },
        {
          name: 'PerIp',
          priority: 1,
          action: { block: tooMany },
          statement: {
            rateBasedStatement: {
              limit: waf.requestsPer5MinutesPerIp,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility(`${id}PerIp`),
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.restApi.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // The stage ARN is built from names, not a reference: wait for the stage to exist.
    association.node.addDependency(this.restApi.deploymentStage);
    return webAcl;
  }

  /** The base URL of the deployed stage. */
  public get url(): string {
    return this.restApi.url;
  }
}
