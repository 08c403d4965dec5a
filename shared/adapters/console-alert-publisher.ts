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

  /** Print the subject, attributes and body. */
  public async publish(message: AlertMessage): Promise<{ messageId: string }> {
    this.counter += 1;
    const messageId = `local-${this.now()}-${this.counter}`;
    const attrs = Object.entries(message.attributes)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    this.print(
      `📣 ALERT ${message.subject}\n   attributes: ${attrs}\n   body: ${JSON.stringify(message.body)}`,
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
