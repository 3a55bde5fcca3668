/**
 * The authorization server's HTML: small, accessible, server-rendered pages with no script and
 * no inline style, under a strict CSP. Every value is escaped; nothing here ever echoes a
 * password back.
 */

export const STYLESHEET_PATH = '/oidc/assets/gatehouse.css';

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * The pages' CSP: their own stylesheet, forms to the server itself and — because browsers
 * apply `form-action` to the redirects that follow a form post — to the origin the flow ends
 * at (the client's redirect URI), and nothing else. Never framed.
 */
export function pageCsp(formTargets: readonly string[] = []): string {
  const origins = new Set<string>();
  for (const target of formTargets) {
    try {
      const origin = new URL(target).origin;
      if (origin !== 'null') origins.add(origin);
    } catch {
      // Not a URL: nothing to allow.
    }
  }
  return [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action 'self'${[...origins].map((origin) => ` ${origin}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · Gatehouse</title>
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>
<body>
<main class="card">
${body}
</main>
</body>
</html>`;
}

function alert(message: string | null): string {
  return message ? `<p class="alert" role="alert" id="form-error">${escapeHtml(message)}</p>` : '';
}

export interface LoginPageModel {
  action: string;
  abortAction: string;
  csrf: string;
  clientName: string;
  tenantName: string;
  email: string;
  error: string | null;
  /** The account has MFA on: ask for a code as well (and the password again). */
  mfa: boolean;
}

export function loginPage(model: LoginPageModel): string {
  const described = model.error ? ' aria-describedby="form-error"' : '';
  const mfaField = model.mfa
    ? `<label for="mfaCode">Authentication code</label>
<input id="mfaCode" name="mfaCode" type="text" inputmode="numeric" autocomplete="one-time-code" required maxlength="64" autofocus>
<p class="hint">Enter the code from your authenticator app, or a recovery code, and your password again.</p>`
    : '';
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(model.clientName)}</strong> (${escapeHtml(model.tenantName)})</p>
${alert(model.error)}
<form method="post" action="${escapeHtml(model.action)}" novalidate${described}>
<input type="hidden" name="csrf" value="${escapeHtml(model.csrf)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${escapeHtml(model.email)}"${model.mfa || model.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${!model.mfa && model.email ? ' autofocus' : ''}>
${mfaField}
<button type="submit">Sign in</button>
</form>
<form method="post" action="${escapeHtml(model.abortAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrf)}">
<button type="submit" class="secondary">Cancel</button>
</form>`,
  );
}

export interface ConsentPageModel {
  action: string;
  abortAction: string;
  csrf: string;
  clientName: string;
  userEmail: string;
  scopes: { name: string; description: string }[];
}

export function consentPage(model: ConsentPageModel): string {
  const items = model.scopes
    .map(
      (scope) =>
        `<li><span>${escapeHtml(scope.description)}</span> <code>${escapeHtml(scope.name)}</code></li>`,
    )
    .join('\n');
  return layout(
    'Authorize',
    `<h1>Authorize ${escapeHtml(model.clientName)}</h1>
<p>Signed in as <strong>${escapeHtml(model.userEmail)}</strong>. <strong>${escapeHtml(model.clientName)}</strong> asks to:</p>
<ul class="scopes">
${items}
</ul>
<form method="post" action="${escapeHtml(model.action)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrf)}">
<button type="submit">Allow</button>
</form>
<form method="post" action="${escapeHtml(model.abortAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(model.csrf)}">
<button type="submit" class="secondary">Deny</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p role="alert">${escapeHtml(message)}</p>
<p class="hint">You can close this page and start again from the application.</p>`,
  );
}

export function logoutPage(formHtml: string, clientName: string | null): string {
  return layout(
    'Sign out',
    `<h1>Sign out${clientName ? ` of ${escapeHtml(clientName)}` : ''}?</h1>
${formHtml}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

export function loggedOutPage(): string {
  return layout('Signed out', '<h1>Signed out</h1>\n<p>You have been signed out.</p>');
}

export const STYLESHEET = `:root{color-scheme:light dark;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.5}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:Canvas;color:CanvasText}
.card{width:100%;max-width:24rem;padding:2rem;margin:1rem;border:1px solid GrayText;border-radius:.5rem}
h1{font-size:1.5rem;margin:0 0 .5rem}
label{display:block;font-weight:600;margin-top:1rem}
input{display:block;width:100%;box-sizing:border-box;padding:.6rem;margin-top:.25rem;font-size:1rem;border:1px solid GrayText;border-radius:.25rem}
input:focus,button:focus{outline:3px solid Highlight;outline-offset:2px}
button{display:block;width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;font-weight:600;border:0;border-radius:.25rem;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:transparent;color:CanvasText;border:1px solid GrayText}
.alert{padding:.75rem;border-radius:.25rem;background:#fee2e2;color:#7f1d1d}
.hint{font-size:.875rem}
.scopes{padding-left:1.25rem}
.scopes code{font-size:.8rem;opacity:.8}
`;
