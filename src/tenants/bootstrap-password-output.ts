import type { Logger } from '@nestjs/common';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface GeneratedPassword {
  readonly tenant: string;
  readonly email: string;
  readonly password: string;
}

/**
 * Hands a generated bootstrap password to the operator once, never through the structured log:
 * log lines are shipped and kept, and a password must not be. On a terminal it is printed; when
 * stdout is not one (a container's log stream, a service manager) it goes to a file only the
 * service's user can read, and the log names the file (F20).
 */
export class BootstrapPasswordOutput {
  private file: string | null = null;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
  ) {}

  /**
   * Before the admin exists: a password nobody can read must not be created, so a file that
   * cannot be written stops the start with nothing changed.
   */
  async prepare(generated: GeneratedPassword): Promise<void> {
    if (this.stdout.isTTY) return;
    const file = resolve(this.path);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    try {
      // Exclusive: never follows a planted link, never overwrites an earlier password.
      await writeFile(file, `${generated.password}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(
          `${file} already exists (a password of an earlier first start?): remove it, or set BOOTSTRAP_ADMIN_PASSWORD_OUTPUT elsewhere`,
          { cause: error },
        );
      }
      throw error;
    }
    this.file = file;
  }

  /** The admin was not created after all: the file holds nothing that logs in. */
  async discard(): Promise<void> {
    if (this.file !== null) await unlink(this.file).catch(() => undefined);
    this.file = null;
  }

  /** The admin exists: tell the operator where its password is. */
  announce(generated: GeneratedPassword): void {
    if (this.file !== null) {
      this.logger.warn(
        `Generated password of platform admin ${generated.email} (tenant "${generated.tenant}") written to ${this.file} (mode 0600): sign in, change it, delete the file`,
      );
      return;
    }
    this.stdout.write(
      [
        '',
        '================================================================',
        ' Gatehouse first start: platform admin created',
        `   tenant:   ${generated.tenant}`,
        `   email:    ${generated.email}`,
        `   password: ${generated.password}`,
        ' This password is shown only once. Sign in and change it.',
        '================================================================',
        '',
      ].join('\n') + '\n',
    );
  }
}
