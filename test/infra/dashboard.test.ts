// CDK assertions for the staff dashboard (issue #7): the Cognito user pool, `staff` group, hosted UI and
// PKCE app client; the private site bucket behind CloudFront with origin access control and security
// headers; the deployed config.json; the first-user outputs; cdk-nag with the config's MFA and plan
// options; and a dependency graph without cycles (CloudFormation would refuse one only at deploy).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addMonitorStack } from '../../infra/app';
import { DashboardHosting } from '../../infra/constructs/dashboard-hosting';
import { StaffAuth } from '../../infra/constructs/staff-auth';
import { EXAMPLE_CONFIG_FILE, PROJECT_ROOT } from '../../infra/load-config';
import { ValidationError } from '../../shared/errors';
import { type MonitorConfig, parseMonitorConfig } from '../../shared/monitor-config';

const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;
const EXAMPLE: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE), 'utf8'),
);

function configWith(dashboard: Record<string, unknown> = {}): MonitorConfig {
  return parseMonitorConfig({ ...EXAMPLE, dashboard }, 'test');
}

const outdirs: string[] = [];
afterAll(() => {
  for (const d of outdirs) rmSync(d, { recursive: true, force: true });
});

/** The app `cdk synth` builds (cdk.json context, cdk-nag registered), minus bundling, in its own outdir. */
function build(config = configWith(), siteDir?: string) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dashboard-cdk-'));
  outdirs.push(outdir);
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] }, outdir });
  const stack = addMonitorStack(app, config, siteDir);
  return { app, stack, template: Template.fromStack(stack), outdir };
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** Every logical id a value references (Ref, Fn::GetAtt, and those inside Fn::Join / Fn::Sub and friends). */
function referencesIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v)) out.add(String(v[0]));
      else referencesIn(v, out);
    }
  }
  return out;
}

const { stack, template, outdir } = build();
const distributionId = logicalId(stack, stack.dashboard.distribution);
const distributionOrigin = {
  'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }, '/']],
};

describe('staff sign-in (Cognito)', () => {
  it('has a user pool without self sign-up, a strong password policy, MFA required, Plus threat protection', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
        },
      },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      UsernameAttributes: ['email'],
    });
  });

  it('has the staff group and a hosted-UI domain named after the stack and account', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', {
      GroupName: 'staff',
      UserPoolId: { Ref: logicalId(stack, stack.staffAuth.userPool) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['driftsentinel-', { Ref: 'AWS::AccountId' }]] },
    });
  });

  it('has a public app client: authorization code (PKCE), no secret, redirects to the dashboard only', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      // No password flows: the SPA signs in through the hosted UI and renews with refresh tokens.
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      CallbackURLs: [distributionOrigin],
      LogoutURLs: [distributionOrigin],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  it('outputs the dashboard URL and the two commands that create the first staff user', () => {
    template.hasOutput('DashboardUrl', { Value: distributionOrigin });
    const pool = logicalId(stack, stack.staffAuth.userPool);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const text = (name: string) => JSON.stringify(outputs[name]?.Value);
    expect(text('CreateStaffUserCommand')).toContain('aws cognito-idp admin-create-user --region ');
    expect(text('CreateStaffUserCommand')).toContain(`{"Ref":"${pool}"}`);
    expect(text('CreateStaffUserCommand')).toContain(
      '--username <you@example.com> --user-attributes Name=email,Value=<you@example.com> Name=email_verified,Value=true --desired-delivery-mediums EMAIL',
    );
    expect(text('AddStaffUserToGroupCommand')).toContain('aws cognito-idp admin-add-user-to-group --region ');
    expect(text('AddStaffUserToGroupCommand')).toContain('--username <you@example.com> --group-name staff');
    expect(text('AddStaffUserToGroupCommand')).toContain(`{"Ref":"${pool}"}`);
  });

  it('takes MFA "optional" and the Essentials plan from the config, acknowledging both in cdk-nag', () => {
    const relaxed = build(
      configWith({ mfa: 'optional', featurePlan: 'essentials', domainPrefix: 'staff-ds' }),
    );
    relaxed.template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'OPTIONAL',
      UserPoolTier: 'ESSENTIALS',
    });
    relaxed.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'staff-ds' });
    const report = new AwsSolutionsChecks(relaxed.app).validateScope(relaxed.app);
    expect(report.violations).toEqual([]);
  });

  it('refuses a domain prefix Cognito would refuse, naming the field', () => {
    expect(() => configWith({ domainPrefix: 'my-cognito-staff' })).toThrow(/dashboard\.domainPrefix/);
    expect(() => configWith({ domainPrefix: '-x' })).toThrow(/dashboard\.domainPrefix/);
  });

  it('StaffAuth rejects a site URL with a path or without https, in one message', () => {
    const scope = new Stack();
    expect(
      () =>
        new StaffAuth(scope, 'A', {
          siteUrl: 'http://example.com/app/',
          settings: { mfa: 'required', featurePlan: 'plus' },
        }),
    ).toThrow(ValidationError);
  });
});

describe('dashboard hosting (S3 + CloudFront)', () => {
  it('keeps every bucket private: public access blocked, TLS-only, encrypted', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets).length).toBeGreaterThanOrEqual(2);
    for (const [id, b] of Object.entries(buckets)) {
      expect([id, b.Properties.PublicAccessBlockConfiguration]).toEqual([
        id,
        {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      ]);
      expect(b.Properties.BucketEncryption).toBeDefined();
      expect(b.Properties.WebsiteConfiguration).toBeUndefined();
    }
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    for (const id of [stack.dashboard.siteBucket, stack.dashboard.logBucket].map((b) =>
      logicalId(stack, b),
    )) {
      const policy = policies.find(
        (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }),
      );
      expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
    for (const policy of policies) {
      for (const st of policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]) {
        // Allows go to a service principal with a source condition, never to everyone.
        if (st.Effect === 'Allow') expect(st.Principal).not.toBe('*');
        if (st.Effect === 'Allow') expect(JSON.stringify(st.Principal)).not.toContain('"AWS":"*"');
      }
    }
  });

  it('lets only this distribution read the site bucket, through origin access control', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    const site = logicalId(stack, stack.dashboard.siteBucket);
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: site }),
    );
    const reads = ((policy?.Properties.PolicyDocument.Statement ?? []) as Record<string, unknown>[]).filter(
      (st) => st.Effect === 'Allow',
    );
    expect(reads).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
          },
        },
      }),
    ]);
    expect(JSON.stringify(reads[0]?.Condition)).toContain(distributionId);
    const dist = template.findResources('AWS::CloudFront::Distribution')[distributionId]?.Properties
      .DistributionConfig;
    expect(dist.Origins[0].OriginAccessControlId).toEqual({
      'Fn::GetAtt': [expect.stringContaining('OriginAccessControl'), 'Id'],
    });
    expect(dist.Origins[0].S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
  });

  it('serves HTTPS only, with the security headers policy, SPA routing and access logs', () => {
    const dist = template.findResources('AWS::CloudFront::Distribution')[distributionId]?.Properties
      .DistributionConfig;
    expect(dist).toMatchObject({
      DefaultRootObject: 'index.html',
      DefaultCacheBehavior: {
        ViewerProtocolPolicy: 'https-only',
        AllowedMethods: ['GET', 'HEAD'],
        ResponseHeadersPolicyId: { Ref: logicalId(stack, stack.dashboard.headers) },
      },
      CustomErrorResponses: [
        { ErrorCode: 403, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
        { ErrorCode: 404, ResponseCode: 200, ResponsePagePath: '/index.html', ErrorCachingMinTTL: 0 },
      ],
      Logging: {
        Bucket: { 'Fn::GetAtt': [logicalId(stack, stack.dashboard.logBucket), 'RegionalDomainName'] },
      },
      PriceClass: 'PriceClass_100',
    });
  });

  it('sends a CSP without inline or eval scripts, framing denied, HSTS, nosniff and no referrer', () => {
    const config = Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]
      ?.Properties.ResponseHeadersPolicyConfig;
    const security = config.SecurityHeadersConfig;
    expect(security).toMatchObject({
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: 63_072_000,
        IncludeSubdomains: true,
        Override: true,
      },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ContentTypeOptions: { Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
    });
    const csp = (security.ContentSecurityPolicy.ContentSecurityPolicy['Fn::Join'][1] as unknown[])
      .map((p) => (typeof p === 'string' ? p : `{${Object.values(p as object)[0]}}`))
      .join('');
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    // The page may call the API, Cognito's OIDC endpoints and the hosted UI's token endpoint, nothing else.
    expect(csp).toMatch(/connect-src 'self' https:\/\/\{HttpApiRestApi\w+\}\.execute-api\./);
    expect(csp).toContain(' https://cognito-idp.');
    expect(csp).toMatch(/https:\/\/\{StaffAuthUserPoolHostedUi\w+\}\.auth\./);
  });

  it('deploys the site with a config.json in hosted-ui mode naming the real API, pool, client and domain', () => {
    const deploy = Object.values(template.findResources('Custom::CDKBucketDeployment'))[0]?.Properties;
    expect(deploy).toMatchObject({
      DestinationBucketName: { Ref: logicalId(stack, stack.dashboard.siteBucket) },
      DistributionId: { Ref: distributionId },
      DistributionPaths: ['/*'],
      Prune: true,
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    // The config file is staged with deploy-time markers for the tokens.
    const staged = readdirSync(outdir)
      .filter((d) => d.startsWith('asset.'))
      .map((d) => path.join(outdir, d, 'config.json'))
      .find((f) => {
        try {
          readFileSync(f);
          return true;
        } catch {
          return false;
        }
      });
    expect(staged).toBeDefined();
    const markers = deploy.SourceMarkers[1] as Record<string, unknown>;
    const filled = readFileSync(staged as string, 'utf8').replace(/<<marker:0xbaba:\d+>>/g, (m) =>
      JSON.stringify(markers[m]).replace(/"/g, "'"),
    );
    const config = JSON.parse(filled);
    expect(config).toMatchObject({
      refreshSeconds: 60,
      auth: { mode: 'hosted-ui' },
    });
    expect(config.apiBaseUrl).toMatch(
      /^https:\/\/\{'Ref':'HttpApiRestApi\w+'\}\.execute-api\..+\/\{'Ref':'HttpApiRestApiDeploymentStagev1\w+'\}$/,
    );
    expect(config.auth.authority).toContain(`{'Ref':'${logicalId(stack, stack.staffAuth.userPool)}'}`);
    expect(config.auth.authority).toMatch(/^https:\/\/cognito-idp\./);
    expect(config.auth.clientId).toBe(`{'Ref':'${logicalId(stack, stack.staffAuth.client)}'}`);
    expect(config.auth.domain).toMatch(/^https:\/\/\{'Ref':'StaffAuthUserPoolHostedUi\w+'\}\.auth\./);
    expect(config.auth.redirectUri).toBe(`https://{'Fn::GetAtt':['${distributionId}','DomainName']}/`);
    expect(config.auth.logoutUri).toBe(config.auth.redirectUri);
  });

  it('refuses a site directory without index.html', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'site-'));
    outdirs.push(empty);
    expect(() => build(configWith(), empty)).toThrow(/siteDir: .* has no index\.html/);
    writeFileSync(path.join(empty, 'index.html'), '<!doctype html><title>x</title>');
    expect(() => build(configWith(), empty)).not.toThrow();
  });

  it('DashboardHosting rejects an API URL with a trailing slash', () => {
    const scope = new Stack();
    expect(
      () =>
        new DashboardHosting(scope, 'H', {
          siteDir: path.join(PROJECT_ROOT, 'dashboard'),
          apiBaseUrl: 'https://api.example.com/v1/',
          apiOrigin: 'https://api.example.com',
          auth: { authority: 'https://issuer', clientId: 'c', hostedUiUrl: 'https://auth.example.com' },
          settings: { refreshSeconds: 60, priceClass: '100' },
        }),
    ).toThrow(/apiBaseUrl/);
  });
});

describe('the whole stack', () => {
  it('has no dependency cycle between its resources (CloudFormation refuses one at deploy)', () => {
    const resources = template.toJSON().Resources as Record<string, Record<string, unknown>>;
    const edges = new Map<string, Set<string>>();
    for (const [id, r] of Object.entries(resources)) {
      const deps = referencesIn(r.Properties);
      for (const d of [r.DependsOn ?? []].flat() as string[]) deps.add(d);
      edges.set(id, new Set([...deps].filter((d) => d in resources && d !== id)));
    }
    // The graph is real: the app client waits for the distribution (its callback URL).
    expect(edges.get(logicalId(stack, stack.staffAuth.client))).toContain(distributionId);
    const state = new Map<string, 'visiting' | 'done'>();
    const cycle: string[] = [];
    const visit = (id: string, trail: string[]): boolean => {
      if (state.get(id) === 'done') return false;
      if (state.get(id) === 'visiting') {
        cycle.push(...trail.slice(trail.indexOf(id)), id);
        return true;
      }
      state.set(id, 'visiting');
      for (const d of edges.get(id) ?? []) if (visit(d, [...trail, id])) return true;
      state.set(id, 'done');
      return false;
    };
    for (const id of edges.keys()) if (visit(id, [])) break;
    expect(cycle).toEqual([]);
  });

  it('passes cdk-nag AwsSolutions with the default dashboard settings', () => {
    const { app } = build();
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });
});
