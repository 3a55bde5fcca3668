import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { Can } from '../common/decorators/access.decorators';
import { PROJECT_SUBJECT } from '../projects/projects.permissions';
import { CORE_PERMISSIONS, USER_SUBJECT } from './core.permissions';
import {
  definePermissionSubject,
  findSubject,
  permissionSubjects,
  registerPermissionSubjects,
} from './permission-catalog';
import { providePermissions } from './provide-permissions';

describe('@Can takes only what the permission catalogue declares', () => {
  it('compiles for declared subjects and actions, and not for typos', () => {
    // These lines are checked by `npm run typecheck`: an unused @ts-expect-error is an error,
    // so if a typo ever compiled again, type checking would fail here.
    Can('update', 'Project');
    Can('manage', 'Platform');
    // @ts-expect-error a subject that is not in the catalogue
    Can('read', 'Projects');
    // @ts-expect-error an action that is not an action at all
    Can('reed', 'Project');
    // @ts-expect-error an action that the subject does not declare (AuditEvent is read only)
    Can('delete', 'AuditEvent');
    // @ts-expect-error a subject that no `*.permissions.ts` declared cannot be provided
    providePermissions(definePermissionSubject({ ...PROJECT_SUBJECT, name: 'Undeclared' }));
    expect(Can('read', 'Project')).toBeTypeOf('function');
  });
});

describe('the run-time catalogue', () => {
  it('holds the subjects of the modules that provide them, once Nest has created them', async () => {
    @Controller('probe')
    class ProbeController {
      @Get()
      @Can('read', 'Project')
      probe(): void {}
    }
    @Module({ controllers: [ProbeController], providers: [providePermissions(PROJECT_SUBJECT)] })
    class ProbeModule {}
    @Module({ imports: [ProbeModule], providers: [providePermissions(...CORE_PERMISSIONS)] })
    class RootModule {}

    const moduleRef = await Test.createTestingModule({ imports: [RootModule] }).compile();
    expect(findSubject('Project')).toBe(PROJECT_SUBJECT);
    expect(permissionSubjects().map((subject) => subject.name)).toEqual(
      expect.arrayContaining(['User', 'Role', 'Tenant', 'ApiKey', 'AuditEvent', 'Project']),
    );
    // A second app in the same process registers the same objects again: no error, no duplicate.
    await (await Test.createTestingModule({ imports: [RootModule] }).compile()).close();
    expect(permissionSubjects().filter((subject) => subject.name === 'Project')).toHaveLength(1);
    await moduleRef.close();
  });

  it('refuses a second definition under a known name', () => {
    registerPermissionSubjects([USER_SUBJECT]);
    expect(() => registerPermissionSubjects([{ ...USER_SUBJECT }])).toThrow(/declared twice/);
  });

  it('refuses a subject registered after the catalogue was read', () => {
    permissionSubjects();
    const late = definePermissionSubject({ ...PROJECT_SUBJECT, name: 'Late' });
    expect(() => registerPermissionSubjects([late])).toThrow(/after the catalogue was read/);
  });
});
