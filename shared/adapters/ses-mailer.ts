// (adapter) --> Mailer port over SES v2 SendEmail (aws-ses-v2-local on the laptop: same client, an
// endpoint and dummy credentials). One message to all recipients, text and HTML bodies, UTF-8.
import { type SESv2Client, type SESv2ClientConfig, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DependencyError } from '../errors';
import type { Mailer, MailMessage } from '../ports';

/** Settings of the SES mailer. */
export interface SesMailerOptions {
  readonly client: SESv2Client;
  /** Verified sender. */
  readonly from: string;
  /** Recipients (the ML team). */
  readonly to: readonly string[];
}

/**
 * SES v2 client settings for aws-ses-v2-local: fixed region, dummy credentials, and a request timeout,
 * because the emulator never answers actions it does not implement (DESIGN §7).
 */
export function localSesConfig(endpoint: string): SESv2ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { requestTimeout: 5000, connectionTimeout: 2000 },
    maxAttempts: 2,
  };
}

/** Sends drift e-mail with SES v2. */
export class SesMailer implements Mailer {
  public constructor(private readonly options: SesMailerOptions) {}

  /** @throws DependencyError when SES refuses or cannot be reached */
  public async send(message: MailMessage): Promise<{ messageId: string }> {
    try {
      const out = await this.options.client.send(
        new SendEmailCommand({
          FromEmailAddress: this.options.from,
          Destination: { ToAddresses: [...this.options.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: message.text, Charset: 'UTF-8' },
                Html: { Data: message.html, Charset: 'UTF-8' },
              },
            },
          },
        }),
      );
      return { messageId: out.MessageId ?? '' };
    } catch (cause) {
      throw new DependencyError(
        `SES SendEmail from ${this.options.from} failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }
}
