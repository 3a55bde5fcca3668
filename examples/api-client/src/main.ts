// Walks Gatehouse's main API as a typed consumer: a platform admin creates a tenant, a user
// registers in it, logs in, refreshes, creates a project and is refused the audit log, which the
// tenant's owner then reads. Exits non-zero at the first answer that is not the expected one.
import { randomBytes } from 'node:crypto';
import {
  expectProblem,
  expectStatus,
  gatehouse,
  type GatehouseClient,
  type Schemas,
} from './gatehouse-client.js';

// Writes reach the audit log in batches: give the owner's read a few seconds to see them.
const AUDIT_WAIT_MS = 10_000;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function log(line: string): void {
  process.stdout.write(`ok  ${line}\n`);
}

async function main(): Promise<void> {
  const baseUrl = required('GATEHOUSE_URL');
  const admin = {
    email: required('GATEHOUSE_ADMIN_EMAIL'),
    password: required('GATEHOUSE_ADMIN_PASSWORD'),
  };
  const api = gatehouse(baseUrl);
  const suffix = randomBytes(4).toString('hex');
  const ownerEmail = `owner-${suffix}@example.com`;
  const adaEmail = `ada-${suffix}@example.com`;
  const password = `typed client ${randomBytes(8).toString('base64url')}`;

  // Registration needs a tenant; only a platform admin (root tenant) creates one.
  const root = await expectStatus(
    'platform admin logs in',
    200,
    api.POST('/v1/auth/login', { body: { tenant: 'root', ...admin } }),
  );
  const created = await expectStatus(
    'POST /v1/tenants',
    201,
    gatehouse(baseUrl, root.accessToken).POST('/v1/tenants', {
      body: {
        slug: `typed-${suffix}`,
        name: 'Typed Client Inc.',
        owner: { email: ownerEmail, password },
      },
    }),
  );
  const tenant = created.tenant.slug;
  log(`tenant ${tenant} created with owner ${ownerEmail}`);

  const registered = await expectStatus(
    'POST /v1/auth/register',
    201,
    api.POST('/v1/auth/register', {
      body: { tenant, email: adaEmail, password, name: 'Ada' },
    }),
  );
  // A user's fields beyond `id` are optional in the document: another member sees only some.
  const ada: Schemas['UserDto'] = registered.user;
  const roles = (ada.roles ?? []).map((role) => role.name).join(', ');
  log(`registered ${adaEmail} (${ada.id}), roles ${roles}`);

  const login = await expectStatus(
    'POST /v1/auth/login',
    200,
    api.POST('/v1/auth/login', { body: { tenant, email: adaEmail, password } }),
  );
  log(`logged in: ${login.tokenType} token for ${login.expiresIn} s`);

  const refreshed = await expectStatus(
    'POST /v1/auth/refresh',
    200,
    api.POST('/v1/auth/refresh', { body: { refreshToken: login.refreshToken } }),
  );
  if (refreshed.refreshToken === login.refreshToken) throw new Error('refresh did not rotate');
  log('refreshed: a new pair, the refresh token rotated');

  const asAda = gatehouse(baseUrl, refreshed.accessToken);
  const project = await expectStatus(
    'POST /v1/projects',
    201,
    asAda.POST('/v1/projects', { body: { name: `Launch ${suffix}`, description: 'typed' } }),
  );
  if (project.ownerId !== ada.id) throw new Error(`project owned by ${project.ownerId}`);
  log(`project ${project.name} (${project.id}) created at ${project.createdAt}`);

  // A member manages its own projects but may not read the audit log: a typed problem.
  const refused = await expectProblem(
    'GET /v1/audit-events as a member',
    403,
    asAda.GET('/v1/audit-events', { params: { query: { actorId: ada.id } } }),
  );
  if (refused.code !== 'forbidden') throw new Error(`member refused with ${refused.code}`);
  log(`audit log refused to a member: ${refused.status} ${refused.code}`);

  const owner = await expectStatus(
    'owner logs in',
    200,
    api.POST('/v1/auth/login', { body: { tenant, email: ownerEmail, password } }),
  );
  const expected = ['auth.register', 'auth.login', 'auth.refresh', 'project.created'];
  const asOwner = gatehouse(baseUrl, owner.accessToken);
  const events = await auditOf(asOwner, ada.id, expected);
  for (const event of events) log(`audit: ${event.at} ${event.action} ${event.outcome}`);
}

/** The audit events of `actorId`, once every action of `expected` is among them. */
async function auditOf(
  api: GatehouseClient,
  actorId: string,
  expected: string[],
): Promise<Schemas['AuditEventDto'][]> {
  const deadline = Date.now() + AUDIT_WAIT_MS;
  for (;;) {
    const page = await expectStatus(
      'GET /v1/audit-events',
      200,
      api.GET('/v1/audit-events', { params: { query: { actorId, limit: 100 } } }),
    );
    const actions = new Set(page.items.map((event) => event.action));
    const missing = expected.filter((action) => !actions.has(action));
    if (missing.length === 0) return page.items;
    if (Date.now() > deadline) throw new Error(`audit log lacks ${missing.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
}
