import { Injectable } from '@nestjs/common';

/** Why a user's delegated access (OAuth grants) must end. */
export type CredentialChange =
  | 'password_reset'
  | 'password_change'
  | 'logout_all'
  | 'mfa_changed'
  | 'user_disabled'
  | 'user_deleted';

export interface CredentialChangeEvent {
  tenantId: string;
  userId: string;
  reason: CredentialChange;
}

type Listener = (event: CredentialChangeEvent) => Promise<void>;

/**
 * Announces that a user's credentials or standing changed, so that whatever else they granted
 * dies with the old credentials. The OAuth module subscribes (it revokes the user's grants);
 * account, auth and users announce without importing it, which would close a module cycle.
 * Listeners are awaited: the change answers only once the grants are gone.
 */
@Injectable()
export class CredentialChanges {
  private listeners: Listener[] = [];

  on(listener: Listener): void {
    this.listeners = [...this.listeners, listener];
  }

  async announce(event: CredentialChangeEvent): Promise<void> {
    for (const listener of this.listeners) await listener(event);
  }
}
