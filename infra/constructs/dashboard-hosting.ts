// (infra) the staff dashboard's static site: a private S3 bucket read only by CloudFront (origin access
// control), HTTPS only, a response headers policy (CSP without inline scripts, HSTS, frame-ancestors
// 'none', nosniff, no referrer), SPA routing (403/404 → /index.html), access logs for both, and a deploy
// of the built site plus a `config.json` written at deploy time with the real API URL, user pool, app
// client and hosted-UI domain (DASHBOARD-CONTRACT.md, `hosted-ui` mode).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { ValidationError } from '../../shared/errors';
import type { DashboardConfig } from '../../shared/monitor-config';
import { dashboardCsp, SOURCE_EXCLUDES } from '../dashboard-site';

/** What the site's `config.json` needs to know about sign-in. */
export interface DashboardAuthInfo {
  /** OIDC issuer of the user pool. */
  readonly authority: string;
  readonly clientId: string;
  /** The hosted UI's origin, `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly hostedUiUrl: string;
}

/** Properties of {@link DashboardHosting}. */
export interface DashboardHostingProps {
  /** The built site (`dashboard/dist`), or the placeholder page until the SPA exists. */
  readonly siteDir: string;
  /** The REST API's stage URL without a trailing slash, e.g. `https://<id>.execute-api.<region>.amazonaws.com/v1`. */
  readonly apiBaseUrl: string;
  /** The API's origin, for the CSP's connect-src. */
  readonly apiOrigin: string;
  readonly auth: DashboardAuthInfo;
  /** Refresh period and price class (monitor config `dashboard`). */
  readonly settings: Pick<DashboardConfig, 'refreshSeconds' | 'priceClass'>;
  /**
   * Retention of the CloudFront and bucket access logs.
   * @default 365 days
   */
  readonly logRetention?: Duration;
}

const PRICE_CLASS: Record<DashboardConfig['priceClass'], cloudfront.PriceClass> = {
  '100': cloudfront.PriceClass.PRICE_CLASS_100,
  '200': cloudfront.PriceClass.PRICE_CLASS_200,
  all: cloudfront.PriceClass.PRICE_CLASS_ALL,
};

/**
 * The BucketDeployment provider's role. BucketDeployment grants `cloudfront:CreateInvalidation` and
 * `GetInvalidation` on `*`; both take a distribution ARN, so that one statement is narrowed to ours.
 */
class DeployRole extends iam.Role {
  public constructor(
    scope: Construct,
    id: string,
    private readonly distributionArn: string,
  ) {
    super(scope, id, {
      description: 'Drift Sentinel dashboard deploy: copies the site, invalidates its distribution',
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole'),
      ],
    });
  }

  public override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const cloudfront =
      statement.actions.length > 0 && statement.actions.every((a) => a.startsWith('cloudfront:'));
    if (!cloudfront || !statement.resources.includes('*')) return super.addToPrincipalPolicy(statement);
    return super.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: statement.effect,
        actions: statement.actions,
        resources: [this.distributionArn],
      }),
    );
  }
}

/** Private bucket + CloudFront (OAC) + security headers + the site and its runtime config. */
export class DashboardHosting extends Construct {
  /** The site's files; only CloudFront may read them. */
  public readonly siteBucket: s3.Bucket;
  /** CloudFront standard logs and the site bucket's server access logs. */
  public readonly logBucket: s3.Bucket;
  public readonly distribution: cloudfront.Distribution;
  public readonly headers: cloudfront.ResponseHeadersPolicy;
  public readonly deployment: s3deploy.BucketDeployment;
  /** `https://<distribution domain>` */
  public readonly origin: string;
  /** `https://<distribution domain>/` */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);
    const issues: string[] = [];
    if (!existsSync(join(props.siteDir, 'index.html')))
      issues.push(`siteDir: ${props.siteDir} has no index.html`);
    if (!Token.isUnresolved(props.apiBaseUrl) && !/^https:\/\/.+[^/]$/.test(props.apiBaseUrl)) {
      issues.push('apiBaseUrl: must be an https URL without a trailing slash');
    }
    if (issues.length > 0) throw new ValidationError(`Invalid DashboardHosting ${id}`, issues);

    const retention = props.logRetention ?? Duration.days(365);
    this.logBucket = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logging writes with an ACL grant: the bucket must accept ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: retention, abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.siteBucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const region = Aws.REGION;
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Drift Sentinel dashboard: CSP without inline scripts, HSTS, no framing, nosniff, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: dashboardCsp([
            props.apiOrigin,
            `https://cognito-idp.${region}.${Aws.URL_SUFFIX}`,
            props.auth.hostedUiUrl,
          ]),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()', override: true },
        ],
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Drift Sentinel staff dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
        compress: true,
      },
      // SPA routing: a deep link is a view of index.html (S3 answers 403 for a missing key under OAC).
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: PRICE_CLASS[props.settings.priceClass],
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;

    this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      role: new DeployRole(this, 'DeployRole', this.distribution.distributionArn),
      sources: [
        s3deploy.Source.asset(props.siteDir, { exclude: SOURCE_EXCLUDES }),
        s3deploy.Source.jsonData('config.json', {
          apiBaseUrl: props.apiBaseUrl,
          refreshSeconds: props.settings.refreshSeconds,
          auth: {
            mode: 'hosted-ui',
            authority: props.auth.authority,
            clientId: props.auth.clientId,
            domain: props.auth.hostedUiUrl,
            redirectUri: this.url,
            logoutUri: this.url,
          },
        }),
      ],
      destinationBucket: this.siteBucket,
      // The build's file names carry no content hash: browsers revalidate, a deploy invalidates the edge.
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: true,
      memoryLimit: 256,
    });

    this.acknowledge();
  }

  private acknowledge(): void {
    // CDK's BucketDeployment runs a provider Lambda (a stack-level singleton) at deploy time only.
    const role = this.deployment.handlerRole;
    const siteArn = Stack.of(this).getLogicalId(this.siteBucket.node.defaultChild as s3.CfnBucket);
    const copy =
      "BucketDeployment's provider copies the build from the CDK asset bucket into the site bucket and prunes " +
      'stale files (CDK grant helpers: object and bucket actions on those two buckets only); it runs only ' +
      'during deploys. Its CloudFront invalidation is scoped to this distribution (DeployRole).';
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "The deploy role (CDK's BucketDeployment provider) uses AWSLambdaBasicExecutionRole to write its own " +
          'CloudWatch logs (create group/stream, put events); nothing else.',
      },
      ...[
        'Action::s3:GetBucket*',
        'Action::s3:GetObject*',
        'Action::s3:List*',
        'Action::s3:Abort*',
        'Action::s3:DeleteObject*',
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        `Resource::<${siteArn}.Arn>/*`,
      ].map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: copy })),
    );
    // The provider function itself is a stack-level singleton named after its purpose.
    const provider = Stack.of(this)
      .node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'))
      .at(0);
    if (provider) {
      Validations.of(provider).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "The BucketDeployment provider's runtime is chosen by aws-cdk-lib (pinned in package.json) and " +
          'moves with it; it runs only during deploys, never on a request.',
      });
    }
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the access-log bucket itself (CloudFront and site bucket logs); logging it would recurse.',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Staff work from anywhere; a geo block would lock out a traveller and protects nothing: the site is ' +
          'static and every byte of data comes from the API behind Cognito and the staff group.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves only static, public build files (no data, no forms that reach a backend); ' +
          'a WAF web ACL adds a monthly cost without a threat it stops here.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The default *.cloudfront.net certificate cannot pin a TLS policy; a custom domain with an ACM ' +
          'certificate (TLSv1.2_2021) is the fix and needs a domain this project does not assume. Viewers ' +
          'are HTTPS-only and browsers negotiate TLS 1.2+.',
      },
    );
  }
}
