import { Injectable, Logger } from '@nestjs/common';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { AuditService } from '../../audit/audit.service';
import { OAuthClientDirectory } from '../oauth-client-directory.service';

interface TokenEvent {
  action: string;
  outcome: 'success' | 'failure';
  accountId: string | null;
  metadata: Record<string, unknown>;
}

/**
 * Turns the engine's token events (issued, revoked, a replayed code or refresh token) into audit
 * events of the client's tenant. Auditing never fails a token request: a fault is logged.
 */
@Injectable()
export class OidcAuditListener {
  private readonly logger = new Logger('OidcProvider');

  constructor(
    private readonly clients: OAuthClientDirectory,
    private readonly audit: AuditService,
  ) {}

  /** Subscribes to a freshly built provider's events. */
  attach(provider: Provider): void {
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      void this.recordTokenIssued(ctx);
    });
    provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
      // Revocations through the revocation endpoint are recorded once, after it answers.
      if (ctx.oidc?.route === 'revocation') return;
      void this.recordTokenEvent(ctx.oidc?.client?.clientId, ctx.oidc?.route ?? null, {
        action: 'oauth.token.revoked',
        outcome: 'success',
        metadata: { grantId, reason: 'replay_detected' },
        accountId: null,
      });
    });
    provider.on('server_error', (_ctx: KoaContextWithOIDC, error: Error) => {
      this.logger.error(`Authorization server error: ${error.message}`, error.stack);
    });
    provider.use(async (ctx, next) => {
      await next();
      const oidcCtx = ctx as unknown as KoaContextWithOIDC;
      if (oidcCtx.oidc?.route === 'revocation' && ctx.status === 200)
        this.recordRevocation(oidcCtx);
    });
  }

  /** A code or refresh token was presented twice (or by concurrent twins): its grant died. */
  recordReplay(clientId: string | null, grantId: string): Promise<void> {
    return this.recordTokenEvent(clientId ?? undefined, 'token', {
      action: 'oauth.token.revoked',
      outcome: 'success',
      accountId: null,
      metadata: { grantId, reason: 'replay_detected' },
    });
  }

  private async recordTokenIssued(ctx: KoaContextWithOIDC): Promise<void> {
    const { entities, params } = ctx.oidc;
    const token = entities.AccessToken ?? entities.ClientCredentials;
    const accountId = entities.AccessToken?.accountId ?? null;
    await this.recordTokenEvent(ctx.oidc.client?.clientId, ctx.oidc.route, {
      action: 'oauth.token.issued',
      outcome: 'success',
      accountId,
      metadata: {
        grantType: typeof params?.grant_type === 'string' ? params.grant_type : null,
        scope: token?.scope ?? null,
        // Not `refreshToken`: a key that names a token is redacted from every event.
        refreshIssued: entities.RefreshToken !== undefined,
        jti: token?.jti ?? null,
      },
    });
  }

  private recordRevocation(ctx: KoaContextWithOIDC): void {
    const { entities } = ctx.oidc;
    const token = entities.RefreshToken ?? entities.AccessToken ?? entities.ClientCredentials;
    if (!token) return;
    void this.recordTokenEvent(ctx.oidc.client?.clientId, 'revocation', {
      action: 'oauth.token.revoked',
      outcome: 'success',
      accountId: (token as { accountId?: string }).accountId ?? null,
      metadata: { kind: token.kind, reason: 'revocation' },
    });
  }

  private async recordTokenEvent(
    clientId: string | undefined,
    route: string | null,
    event: TokenEvent,
  ): Promise<void> {
    try {
      const client = clientId ? await this.clients.findByClientId(clientId) : null;
      if (!client) return;
      this.audit.record({
        action: event.action,
        outcome: event.outcome,
        tenantId: client.tenantId,
        actor: event.accountId
          ? { type: 'user', id: event.accountId }
          : { type: 'client', id: client.id },
        target: { type: 'oauth_client', id: client.id },
        metadata: { clientId: client.clientId, route, ...event.metadata },
      });
    } catch (error) {
      this.logger.warn(`Could not audit ${event.action}: ${String(error)}`);
    }
  }
}
