import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';

/**
 * Work that a request starts but does not wait for (looking up the account of a "forgot
 * password" request, mailing a verification link). Failures are logged, never thrown at the
 * client; shutdown waits for what is still running, while the database is open.
 */
@Injectable()
export class BackgroundTasks implements BeforeApplicationShutdown {
  private readonly logger = new Logger('AccountTasks');
  private readonly running = new Set<Promise<void>>();

  run(name: string, work: () => Promise<void>): void {
    const task = work()
      .catch((error: unknown) => {
        this.logger.error(
          `${name} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      })
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Resolves once every task started so far has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.settled();
  }
}
