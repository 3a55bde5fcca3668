import { Controller, Get } from '@nestjs/common';
import type { Caller } from './auth/caller';
import { CurrentCaller, Public, RequirePermission } from './auth/decorators';

/** The service's own resources, protected by Gatehouse's tokens and permissions. */
@Controller()
export class ReportsController {
  @Get('health')
  @Public()
  health(): { status: string } {
    return { status: 'ok' };
  }

  /** Any valid access token: the signature and claims are checked here, without calling Gatehouse. */
  @Get('whoami')
  whoami(@CurrentCaller() caller: Caller): Caller {
    return caller;
  }

  /** Only for callers who may read their tenant's settings in Gatehouse (owners and admins). */
  @Get('reports/usage')
  @RequirePermission('read', 'Tenant')
  usage(@CurrentCaller() caller: Caller): { tenantId: string; requestedBy: string } {
    return { tenantId: caller.tenantId, requestedBy: caller.sub };
  }
}
