// (infra) who may use the staff dashboard: a Cognito user pool with no self sign-up (an administrator
// creates each account), a strong password policy, MFA (TOTP) required or optional by config, the Plus
// feature plan's threat protection enforced (or a written cdk-nag reason when the config opts out), the
// `staff` group every API route requires, a hosted-UI domain, and a public app client for the SPA using
// the authorization code grant with PKCE (no client secret), redirecting only to the dashboard's URL.
import { Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { STAFF_GROUP } from '../../functions/auth';
import { ValidationError } from '../../shared/errors';
import type { DashboardConfig } from '../../shared/monitor-config';

/** Properties of {@link StaffAuth}. */
export interface StaffAuthProps {
  /** The dashboard's URL with a trailing slash (sign-in and sign-out redirect there); may be a token. */
  readonly siteUrl: string;
  /** MFA, feature plan and hosted-UI domain prefix (monitor config `dashboard`). */
  readonly settings: Pick<DashboardConfig, 'mfa' | 'featurePlan' | 'domainPrefix'>;
  /**
   * Lifetime of ID and access tokens; the SPA renews them with the refresh token.
   * @default 1 hour
   */
  readonly tokenValidity?: Duration;
  /**
   * Lifetime of a sign-in (refresh token).
   * @default 12 hours: a working day, then sign in again
   */
  readonly sessionValidity?: Duration;
}

/** The dashboard's Cognito user pool, `staff` group, hosted UI and app client. */
export class StaffAuth extends Construct {
  public readonly userPool: cognito.UserPool;
  /** The group every API route requires. */
  public readonly staffGroup: cognito.UserPoolGroup;
  public readonly domain: cognito.UserPoolDomain;
  /** The SPA's public client (authorization code + PKCE, no secret). */
  public readonly client: cognito.UserPoolClient;
  /** The OIDC issuer: `https://cognito-idp.<region>.amazonaws.com/<poolId>`. */
  public readonly authority: string;
  /** The hosted UI's origin: `https://<prefix>.auth.<region>.amazoncognito.com`. */
  public readonly hostedUiUrl: string;

  public constructor(scope: Construct, id: string, props: StaffAuthProps) {
    super(scope, id);
    const issues: string[] = [];
    if (!Token.isUnresolved(props.siteUrl) && !/^https:\/\/[^/]+\/$/.test(props.siteUrl)) {
      issues.push('siteUrl: must be https://<host>/ (a trailing slash, no path)');
    }
    const tokenMinutes = (props.tokenValidity ?? Duration.hours(1)).toMinutes();
    if (tokenMinutes < 5 || tokenMinutes > 24 * 60) issues.push('tokenValidity: must be 5 minutes to 1 day');
    if (issues.length > 0) throw new ValidationError(`Invalid StaffAuth ${id}`, issues);

    const plus = props.settings.featurePlan === 'plus';
    const required = props.settings.mfa === 'required';
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: plus ? 5 : undefined,
      },
      mfa: required ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: plus ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      ...(plus ? { standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      userInvitation: {
        emailSubject: 'Your Drift Sentinel dashboard account',
        emailBody:
          'An account was created for you on the Drift Sentinel staff dashboard. User name: {username}, ' +
          'temporary password: {####} (valid 3 days). Sign in at the dashboard URL you were given.',
      },
      // Staff accounts are not rebuilt by a deploy: keep them when the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.staffGroup = this.userPool.addGroup('StaffGroup', {
      groupName: STAFF_GROUP,
      description: 'May use the staff dashboard and its API',
    });
    const prefix =
      props.settings.domainPrefix ?? `${Stack.of(this).stackName.toLowerCase()}-${Aws.ACCOUNT_ID}`;
    this.domain = this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: prefix } });
    this.client = this.userPool.addClient('Dashboard', {
      generateSecret: false,
      // The SPA signs in only through the hosted UI; refresh tokens renew its session.
      authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [props.siteUrl],
        logoutUrls: [props.siteUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: props.tokenValidity ?? Duration.hours(1),
      accessTokenValidity: props.tokenValidity ?? Duration.hours(1),
      refreshTokenValidity: props.sessionValidity ?? Duration.hours(12),
    });
    this.authority = `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`;
    this.hostedUiUrl = this.domain.baseUrl();

    const reasons: { id: string; reason: string }[] = [];
    if (!required) {
      reasons.push({
        id: 'AwsSolutions-COG2',
        reason:
          'The monitoring config sets dashboard.mfa to "optional": each staff member may enrol a TOTP ' +
          'authenticator; set it to "required" (the default) to enforce MFA at sign-in.',
      });
    }
    if (!plus) {
      reasons.push({
        id: 'AwsSolutions-COG8',
        reason:
          'The monitoring config sets dashboard.featurePlan to "essentials" (no per-user Plus price): no ' +
          'threat protection; accounts are created by administrators only and MFA applies.',
      });
    }
    if (reasons.length > 0) Validations.of(this.userPool).acknowledge(...reasons);
  }

  /** The commands that create the first staff user (printed as stack outputs). */
  public firstUserCommands(email = '<you@example.com>'): { createUser: string; addToStaff: string } {
    const pool = `--region ${Aws.REGION} --user-pool-id ${this.userPool.userPoolId}`;
    return {
      createUser:
        `aws cognito-idp admin-create-user ${pool} --username ${email} ` +
        `--user-attributes Name=email,Value=${email} Name=email_verified,Value=true ` +
        '--desired-delivery-mediums EMAIL',
      addToStaff: `aws cognito-idp admin-add-user-to-group ${pool} --username ${email} --group-name ${STAFF_GROUP}`,
    };
  }
}
