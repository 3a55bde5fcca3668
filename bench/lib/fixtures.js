'use strict';
/** The objects every benchmark row needs, made through the public API. */

const PASSWORD = 'benchmark user passphrase';

async function call(base, method, path, body, token) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function must(base, method, path, body, token, expected) {
  const res = await call(base, method, path, body, token);
  if (res.status !== expected)
    throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function fixtures(base, refreshPool = 100) {
  const platform = await must(
    base,
    'POST',
    '/v1/auth/login',
    { tenant: 'root', email: 'admin@bench.test', password: 'benchmark admin passphrase' },
    null,
    200,
  );
  const tenant = `bench-${Date.now().toString(36)}`;
  const ownerEmail = `owner@${tenant}.test`;
  await must(
    base,
    'POST',
    '/v1/tenants',
    {
      slug: tenant,
      name: 'Bench',
      plan: 'enterprise',
      owner: { email: ownerEmail, password: PASSWORD },
    },
    platform.accessToken,
    201,
  );
  const owner = await must(
    base,
    'POST',
    '/v1/auth/login',
    { tenant, email: ownerEmail, password: PASSWORD },
    null,
    200,
  );
  const roles = await must(base, 'GET', '/v1/roles?limit=100', null, owner.accessToken, 200);
  const memberRole = roles.items.find((role) => role.name === 'member').id;
  const memberEmail = `member@${tenant}.test`;
  await must(
    base,
    'POST',
    '/v1/users',
    { email: memberEmail, password: PASSWORD, roleIds: [memberRole] },
    owner.accessToken,
    201,
  );
  const member = await must(
    base,
    'POST',
    '/v1/auth/login',
    { tenant, email: memberEmail, password: PASSWORD },
    null,
    200,
  );
  const project = await must(
    base,
    'POST',
    '/v1/projects',
    { name: 'Benchmarked' },
    member.accessToken,
    201,
  );

  const refreshTokens = [];
  for (let i = 0; i < refreshPool; i++) {
    const pair = await must(
      base,
      'POST',
      '/v1/auth/login',
      { tenant, email: memberEmail, password: PASSWORD },
      null,
      200,
    );
    refreshTokens.push(pair.refreshToken);
  }

  const client = await call(
    base,
    'POST',
    '/v1/oauth/clients',
    {
      name: 'bench',
      type: 'confidential',
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: ['projects:read'],
      roleIds: [memberRole],
    },
    owner.accessToken,
  );

  return {
    tenant,
    password: PASSWORD,
    owner: { ...owner, email: ownerEmail },
    member: { ...member, email: memberEmail },
    projectId: project.id,
    refreshTokens,
    oauthClient:
      client.status === 201
        ? { clientId: client.body.clientId, clientSecret: client.body.clientSecret }
        : null,
  };
}

module.exports = { fixtures };
