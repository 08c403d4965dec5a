// (infra) the monitor's HTTP API: an API Gateway REST API whose resources and methods are generated from
// the router's route list (functions/api-routes.ts), every method behind AWS_IAM authorization and one
// Lambda proxy integration, JSON access logs, a request validator, and error responses in the API's own
// `{ error, field }` shape. Issue #7 switches the authorizer to Cognito (staff group).
import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
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
   * Retention of the access log group.
   * @default logs.RetentionDays.ONE_YEAR - who changed thresholds is audit data
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

const PATH = /^(\/(?:[a-z0-9-]+|\{[A-Za-z][A-Za-z0-9]*\}))+$/;

/**
 * REST API, regional, with: AWS_IAM on every method (SigV4-signed callers only; the caller ARN becomes
 * the actor of a change), a JSON access log of every request (caller, route, status, latencies, errors),
 * X-Ray tracing, stage throttling, a request validator (bodies must be JSON objects; field-level
 * validation is the handler's zod schemas, so a 400 names its field), and gateway errors as JSON.
 */
export class MonitorApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigateway.RestApi;
  /** Its access log group. */
  public readonly accessLogs: logs.LogGroup;
  /** Validates bodies and parameters before the function is invoked. */
  public readonly validator: apigateway.RequestValidator;

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
    if (issues.length > 0) throw new ValidationError(`Invalid MonitorApi ${id}`, issues);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_YEAR,
    });
    const F = apigateway.AccessLogField;
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description:
        'Drift Sentinel API: false-positive feedback, thresholds, what-if preview, maintenance windows',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
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
            caller: F.contextIdentityUserArn(),
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

    const integration = new apigateway.LambdaIntegration(props.handler.lambdaFunction, {
      allowTestInvoke: false,
    });
    for (const r of props.routes) {
      this.restApi.root.resourceForPath(r.path).addMethod(r.method, integration, {
        authorizationType: apigateway.AuthorizationType.IAM,
        requestValidator: this.validator,
        ...(r.hasBody ? { requestModels: { 'application/json': jsonObject } } : {}),
      });
    }

    // Gateway-made errors (403 unsigned/denied, 429 throttled, 400 body not an object, 5xx) in the
    // handler's error shape, so clients parse one format.
    const json = (field: string | null) => ({
      'application/json': `{"error":$context.error.messageString,"field":${field === null ? 'null' : `"${field}"`}}`,
    });
    this.restApi.addGatewayResponse('Default4xx', {
      type: apigateway.ResponseType.DEFAULT_4XX,
      templates: json(null),
    });
    this.restApi.addGatewayResponse('Default5xx', {
      type: apigateway.ResponseType.DEFAULT_5XX,
      templates: json(null),
    });
    this.restApi.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      templates: json('body'),
    });

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Every method uses AWS_IAM (SigV4) authorization until the staff dashboard (issue #7) adds the ' +
          'Cognito user pool authorizer with the staff group; no method is unauthenticated.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Only IAM-signed requests reach the integration (API Gateway rejects unsigned ones before any ' +
          'rule could run) and the stage is throttled; a WAF web ACL adds cost without a threat it stops.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging needs the region-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), ' +
          'a singleton this stack must not take over; the JSON access log records every request (caller, ' +
          'route, status, latencies, gateway and integration errors) and the function logs each one.',
      },
    );
  }

  /** The base URL of the deployed stage. */
  public get url(): string {
    return this.restApi.url;
  }
}
