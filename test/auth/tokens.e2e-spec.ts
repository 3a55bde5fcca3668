import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type JWTPayload,
} from 'jose';
import { createSecretKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStoreService } from '../../src/auth/keys/key-store.service';
import { SecretBox } from '../../src/common/crypto/secret-box';
import { bearer, createTenant, register } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { selectRows } from '../support/sql';

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('access tokens', () => {
  let t: TestApp;
  let account: Awaited<ReturnType<typeof register>>;

  beforeAll(async () => {
    t = await createTestApp();
    account = await register(t, (await createTenant(t)).slug);
  });
  afterAll(() => t.close());

  it('have the SPEC §8 header and exactly its claims, and verify against the published JWKS', async () => {
    const jwks = await t.http().get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    for (const key of jwks.body.keys) {
      expect(key).not.toHaveProperty('d');
      expect(key).toMatchObject({
        kty: 'EC',
        crv: 'P-256',
        alg: 'ES256',
        use: 'sig',
        kid: expect.any(String),
      });
    }
    const header = decodeProtectedHeader(account.accessToken);
    expect(header).toEqual({ alg: 'ES256', kid: jwks.body.keys[0].kid, typ: 'at+jwt' });
    const { payload } = await jwtVerify(account.accessToken, createLocalJWKSet(jwks.body), {
      issuer: 'http://localhost:3000/oidc',
      audience: 'http://localhost:3000',
      typ: 'at+jwt',
    });
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'sid',
      'sub',
      'tid',
    ]);
    expect(payload.sub).toBe(account.user.id);
    expect(payload.tid).toBe(account.user.tenantId);
    expect(typeof payload.aud).toBe('string');
    expect(payload.exp! - payload.iat!).toBe(900);
  });

  it('keep private keys encrypted at rest', async () => {
    const rows = await selectRows(t, 'signing_keys', '1 = 1', {});
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      const sealed = String(row.private_jwk_encrypted);
      expect(sealed).toMatch(/^v2\./);
      expect(sealed).not.toContain('"d"');
      const opened = JSON.parse(t.app.get(SecretBox).open(sealed, 'signing-key')) as { d?: string };
      expect(opened.d).toBeTypeOf('string');
      // Bound to its purpose: the same value does not open as another kind of secret.
      expect(() => t.app.get(SecretBox).open(sealed, 'totp-secret')).toThrow();
    }
  });

  describe('forged or unacceptable tokens answer 401 invalid_token with a challenge', () => {
    const forge = async (
      change: (claims: JWTPayload) => JWTPayload,
      header: Record<string, unknown> = {},
    ) => {
      const key = t.app.get(KeyStoreService).activeKey();
      const now = Math.floor(Date.now() / 1000);
      const claims = change({
        iss: 'http://localhost:3000/oidc',
        aud: 'http://localhost:3000',
        sub: account.user.id,
        tid: account.user.tenantId,
        sid: decodeJwtPayload(account.accessToken).sid ?? '',
        iat: now,
        exp: now + 600,
        jti: 'forged',
      });
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...header })
        .sign(key.privateKey);
    };

    const expectRefused = async (token: string, code = 'invalid_token') => {
      const res = await t.http().get('/v1/auth/me').set(bearer(token));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(code);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="gatehouse", error="invalid_token"/,
      );
    };

    it('a control token signed the same way is accepted', async () => {
      const res = await t
        .http()
        .get('/v1/auth/me')
        .set(bearer(await forge((claims) => claims)));
      expect(res.status).toBe(200);
    });

    it('alg: none', async () => {
      const [, payload] = account.accessToken.split('.');
      await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.`);
      await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.x`);
    });

    it('HS256 signed with the public key (algorithm confusion)', async () => {
      const jwks = (await t.http().get('/.well-known/jwks.json')).body as {
        keys: { kid: string }[];
      };
      const publicJwk = JSON.stringify(jwks.keys[0]);
      const token = await new SignJWT(decodeJwtPayload(account.accessToken))
        .setProtectedHeader({ alg: 'HS256', kid: jwks.keys[0].kid, typ: 'at+jwt' })
        .sign(createSecretKey(Buffer.from(publicJwk)));
      await expectRefused(token);
    });

    it('expired', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expectRefused(
        await forge((claims) => ({ ...claims, iat: now - 1000, exp: now - 60 })),
        'token_expired',
      );
    });

    it('nbf in the future', async () => {
      await expectRefused(
        await forge((claims) => ({ ...claims, nbf: Math.floor(Date.now() / 1000) + 600 })),
      );
    });

    it('wrong audience, wrong issuer, audience list without ours', async () => {
      await expectRefused(await forge((claims) => ({ ...claims, aud: 'https://evil.example' })));
      await expectRefused(
        await forge((claims) => ({ ...claims, iss: 'https://evil.example/oidc' })),
      );
      await expectRefused(await forge((claims) => ({ ...claims, aud: ['https://evil.example'] })));
    });

    it('unknown kid, and keys named by the token itself (jku, jwk)', async () => {
      await expectRefused(await forge((claims) => claims, { kid: 'unknown-kid' }));
      await expectRefused(
        await forge((claims) => claims, { jku: 'https://evil.example/jwks.json' }),
      );
      const attacker = await generateKeyPair('ES256', { extractable: true });
      const token = await new SignJWT(decodeJwtPayload(account.accessToken))
        .setProtectedHeader({
          alg: 'ES256',
          typ: 'at+jwt',
          jwk: await exportJWK(attacker.publicKey),
        })
        .sign(attacker.privateKey);
      await expectRefused(token);
    });

    it('signed by another key under our kid', async () => {
      const attacker = await generateKeyPair('ES256');
      const kid = t.app.get(KeyStoreService).activeKey().kid;
      const token = await new SignJWT(decodeJwtPayload(account.accessToken))
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .sign(attacker.privateKey);
      await expectRefused(token);
    });

    it('tampered payload', async () => {
      const [header, , signature] = account.accessToken.split('.');
      const payload = {
        ...decodeJwtPayload(account.accessToken),
        sub: '00000000-0000-7000-8000-000000000000',
      };
      await expectRefused(`${header}.${b64(payload)}.${signature}`);
    });

    it('an ID-token-like typ, or none', async () => {
      await expectRefused(await forge((claims) => claims, { typ: 'JWT' }));
      await expectRefused(await forge((claims) => claims, { typ: undefined }));
    });

    it('missing required claims (tid, jti) or a tenant that is not the user’s', async () => {
      await expectRefused(await forge(({ tid: _tid, ...claims }) => claims));
      await expectRefused(await forge(({ jti: _jti, ...claims }) => claims));
      const other = await createTenant(t);
      await expectRefused(await forge((claims) => ({ ...claims, tid: other.id })));
    });

    it('a session id of another user', async () => {
      const other = await register(t, (await createTenant(t)).slug);
      await expectRefused(
        await forge((claims) => ({ ...claims, sid: decodeJwtPayload(other.accessToken).sid })),
      );
    });
  });

  it('key rotation: new tokens use the new key; tokens of the retired key keep working and it stays published', async () => {
    const keyStore = t.app.get(KeyStoreService);
    const oldKid = keyStore.activeKey().kid;
    const { id: newKid } = await keyStore.rotate();
    expect(newKid).not.toBe(oldKid);
    const jwks = (await t.http().get('/.well-known/jwks.json')).body as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual([oldKid, newKid].sort());
    expect((await t.http().get('/v1/auth/me').set(bearer(account.accessToken))).status).toBe(200);
    const fresh = await register(t, (await createTenant(t)).slug);
    expect(decodeProtectedHeader(fresh.accessToken).kid).toBe(newKid);
    expect((await t.http().get('/v1/auth/me').set(bearer(fresh.accessToken))).status).toBe(200);
  });
});

describe.each([
  ['RS256', { kty: 'RSA' }],
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
] as const)('JWT_ALG=%s', (alg, keyShape) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_ALG: alg } });
  });
  afterAll(() => t.close());

  it('signs with that algorithm and publishes the matching key', async () => {
    const account = await register(t, (await createTenant(t)).slug);
    expect(decodeProtectedHeader(account.accessToken)).toMatchObject({ alg, typ: 'at+jwt' });
    const jwks = (await t.http().get('/.well-known/jwks.json')).body;
    expect(jwks.keys[0]).toMatchObject({ ...keyShape, alg });
    await jwtVerify(account.accessToken, createLocalJWKSet(jwks), {
      typ: 'at+jwt',
      algorithms: [alg],
    });
    expect((await t.http().get('/v1/auth/me').set(bearer(account.accessToken))).status).toBe(200);
  });
});

describe('JWT_ALG=HS256', () => {
  const secret = 'an-hs256-secret-of-at-least-32-bytes-long!';
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { JWT_ALG: 'HS256', JWT_SECRET: secret } });
  });
  afterAll(() => t.close());

  it('signs access tokens with JWT_SECRET and never publishes it; the JWKS holds only asymmetric keys', async () => {
    const account = await register(t, (await createTenant(t)).slug);
    expect(decodeProtectedHeader(account.accessToken)).toMatchObject({
      alg: 'HS256',
      typ: 'at+jwt',
    });
    await jwtVerify(account.accessToken, createSecretKey(Buffer.from(secret)), {
      algorithms: ['HS256'],
    });
    const jwks = (await t.http().get('/.well-known/jwks.json')).body as {
      keys: Record<string, unknown>[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      expect(key.kty).not.toBe('oct');
      expect(JSON.stringify(key)).not.toContain(Buffer.from(secret).toString('base64url'));
    }
    expect((await t.http().get('/v1/auth/me').set(bearer(account.accessToken))).status).toBe(200);
  });

  it('refuses a token signed with another secret, or with the ES256 key', async () => {
    const account = await register(t, (await createTenant(t)).slug);
    const payload = decodeJwtPayload(account.accessToken);
    const header = decodeProtectedHeader(account.accessToken);
    const wrong = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', kid: header.kid!, typ: 'at+jwt' })
      .sign(createSecretKey(Buffer.from('another-secret-that-is-32-bytes-long!!')));
    expect((await t.http().get('/v1/auth/me').set(bearer(wrong))).status).toBe(401);
    const key = t.app.get(KeyStoreService).activeKey();
    const asymmetric = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .sign(key.privateKey);
    expect((await t.http().get('/v1/auth/me').set(bearer(asymmetric))).status).toBe(401);
  });
});

function decodeJwtPayload(token: string): JWTPayload {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as JWTPayload;
}
