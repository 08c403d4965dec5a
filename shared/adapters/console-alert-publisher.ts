// (adapter) --> AlertPublisher port for the local stack: prints each message as SNS would carry it and
// keeps the most recent ones for the dashboard. Also a DeadLetterSink that prints loudly.
import type { AlertMessage, AlertPublisher, DeadLetterSink } from '../ports';

/** A message as published locally. */
export interface PublishedAlert extends AlertMessage {
  readonly messageId: string;
  readonly publishedAt: number;
}

/** Prints alerts; remembers the last `keep`. */
export class ConsoleAlertPublisher implements AlertPublisher, DeadLetterSink {
  private readonly recent: PublishedAlert[] = [];
  private counter = 0;

  public constructor(
    private readonly print: (line: string) => void,
    private readonly now: () => number,
    private readonly keep = 200,
  ) {}

  /** Print the subject, attributes, each anomaly's explanation and any held-back digest. */
  public async publish(message: AlertMessage): Promise<{ messageId: string }> {
    this.counter += 1;
    const messageId = `local-${this.now()}-${this.counter}`;
    const attrs = Object.entries(message.attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const anomalies = (message.body.anomalies as { explanation?: string }[] | undefined) ?? [];
    const held = message.body.heldBack as { count: number; worstSeverity: string } | undefined;
    this.print(
      [
        `📣 ${message.subject}`,
        `   attributes: ${attrs}`,
        ...anomalies.map((a) => `   • ${a.explanation ?? ''}`),
        ...(held
          ? [`   + ${held.count} anomalies held back by the rate limit (worst ${held.worstSeverity})`]
          : []),
      ].join('\n'),
    );
    this.recent.unshift({ ...message, messageId, publishedAt: this.now() });
    this.recent.length = Math.min(this.recent.length, this.keep);
    return { messageId };
  }

  /** Dead letters are printed, never silently dropped. */
  public async send(message: AlertMessage, reason: string): Promise<void> {
    this.print(`☠ DEAD LETTER (${reason}): ${message.subject}`);
  }

  /** The most recent messages, newest first. */
  public list(): readonly PublishedAlert[] {
    return this.recent;
  }
}
