import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiExtension,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { CatalogueAction, CatalogueSubject } from '../../roles/permission-catalog';
import type { Action } from '../../roles/permission-rule';
import { ProblemResponseDto } from '../http/problem-response.dto';

export const ACCESS_METADATA = 'gatehouse:access';
/** Marks a public operation; the document transform turns it into `security: []`. */
export const PUBLIC_EXTENSION = 'x-public';

export type AccessRequirement =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'permission'; action: Action; subject: string };

/**
 * No credentials needed. Every such route says so; the guard refuses routes that say nothing.
 * The document says it too, with an empty security requirement (`security: []`; Nest's
 * explorer drops an empty `ApiSecurity`, so an extension carries it to `documentContract`).
 */
export function Public(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'public' } satisfies AccessRequirement),
    ApiExtension(PUBLIC_EXTENSION, true),
  );
}

function authenticatedDocs(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth('bearer'),
    ApiSecurity('apiKey'),
    ApiUnauthorizedResponse({
      description: 'No credentials, or a bad, expired or revoked token',
      type: ProblemResponseDto,
    }),
  );
}

/** Any authenticated principal; the service decides what it may see (its own sessions, say). */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'authenticated' } satisfies AccessRequirement),
    authenticatedDocs(),
  );
}

/**
 * An authenticated principal whose permissions allow `action` on some `subject` of its tenant.
 * The service then checks the loaded object itself (`Permissions.assert`). Only subjects of the
 * permission catalogue and their declared actions compile (`roles/permission-catalog.ts`).
 */
export function Can<S extends CatalogueSubject>(
  action: CatalogueAction<S>,
  subject: S,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, {
      kind: 'permission',
      action,
      subject,
    } satisfies AccessRequirement),
    authenticatedDocs(),
    ApiForbiddenResponse({
      description: `Requires ${action} on ${subject}`,
      type: ProblemResponseDto,
    }),
  );
}
