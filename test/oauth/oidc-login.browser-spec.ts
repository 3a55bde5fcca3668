import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTenant, register, STRONG_PASSWORD, uniqueEmail } from '../factories';
import { createTestApp, type TestApp } from '../support/app';
import { freePort } from '../support/ports';
import { createClient, tenantAdmin } from './support';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('the login and consent pages in a real browser (headless Chromium)', () => {
  let t: TestApp;
  let browser: Browser;
  let callbackServer: Server;
  let redirectUri: string;
  let member: { id: string; email: string };
  let configuration: oidc.Configuration;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const port = await freePort();
    redirectUri = `http://127.0.0.1:${port}/callback`;
    // The relying party's callback: a page of its own, on another origin.
    callbackServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><title>Callback</title><p>Signed in</p>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(port, '127.0.0.1', resolve));

    const tenant = await createTenant(t);
    const admin = await tenantAdmin(t, tenant);
    const email = uniqueEmail('browser');
    member = { id: (await register(t, tenant.slug, email)).user.id, email };
    const client = await createClient(t, admin.accessToken, {
      name: 'Browser app',
      type: 'public',
      redirectUris: [redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access', 'users:read'],
    });
    configuration = await oidc.discovery(
      new URL(`${t.baseUrl}/oidc`),
      client.clientId,
      undefined,
      oidc.None(),
      { execute: [oidc.allowInsecureRequests] },
    );
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => callbackServer?.close(resolve));
    await t?.close();
  });

  it('signs in, asks consent once, and lands on the redirect URI with a code that yields tokens', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text()))
        cspViolations.push(message.text());
    });

    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorizationUrl = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid profile email offline_access users:read',
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });

    await page.goto(authorizationUrl.href);
    await expect.poll(() => page.title()).toBe('Sign in · Gatehouse');
    // The stylesheet loaded under the CSP (no inline style): the button is styled.
    const buttonColor = await page.getByRole('button', { name: 'Sign in' }).evaluate(
      (element) =>
        (
          globalThis as unknown as {
            getComputedStyle(target: unknown): { backgroundColor: string };
          }
        ).getComputedStyle(element).backgroundColor,
    );
    expect(buttonColor).toBe('rgb(29, 78, 216)');

    // A wrong password first: the page says so, in an alert, and keeps the email.
    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Password').fill('not my password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not correct');
    expect(await page.getByLabel('Email').inputValue()).toBe(member.email);

    await page.getByLabel('Password').fill(STRONG_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.title()).toBe('Authorize · Gatehouse');
    expect(await page.locator('.scopes').textContent()).toContain('users:read');

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    const callback = new URL(page.url());
    expect(callback.searchParams.get('iss')).toBe(`${t.baseUrl}/oidc`);
    expect(cspViolations).toEqual([]);

    const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBe(member.id);
    expect((await t.http().get('/v1/auth/me').set(bearer(tokens.access_token))).status).toBe(200);

    // Consent is remembered: the next authorization in this browser goes straight through.
    const again = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid profile email offline_access users:read',
      state: 'second',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    await page.goto(again.href);
    await page.waitForURL((url) => url.href.startsWith(redirectUri));
    expect(new URL(page.url()).searchParams.get('code')).toEqual(expect.any(String));

    // A page of the server cannot be framed: frame-ancestors 'none' and X-Frame-Options.
    const response = await page.goto(`${t.baseUrl}/oidc/interaction/unknown`);
    expect(response?.status()).toBe(400);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await context.close();
  });
});
