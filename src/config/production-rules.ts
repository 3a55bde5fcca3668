import type { AppConfig } from './app-config';

type Draft = Omit<AppConfig, 'isProduction' | 'warnings'>;

/**
 * What NODE_ENV=production refuses, and warns about, on top of each variable's own rules
 * (SPEC §4). The missing key-encryption key is refused by `missingKeyProblem`, which also
 * decides where development may use the built-in key.
 */
export function applyProductionRules(
  config: Draft,
  { allowSqlite }: { allowSqlite: boolean },
  problems: string[],
  warnings: string[],
): void {
  if (config.http.corsOrigins.includes('*')) {
    problems.push('CORS_ORIGINS must not be a wildcard in production');
  }
  if (config.database.kind === 'sqlite' && !allowSqlite) {
    problems.push(
      'DATABASE_URL is required in production (or set ALLOW_SQLITE_IN_PRODUCTION=true to run on SQLite)',
    );
  }
  if (config.http.tls === null) {
    warnings.push(
      'TLS_CERT_FILE/TLS_KEY_FILE are not set: serving plain HTTP. Terminate TLS 1.3 in front of Gatehouse.',
    );
  }
  const { endpoints, oidcProviders } = config.social;
  const providers: [string, string][] = [
    ['GOOGLE_ISSUER', endpoints.googleIssuer],
    ['GITHUB_URL', endpoints.githubUrl],
    ['GITHUB_API_URL', endpoints.githubApiUrl],
    ...oidcProviders.map((p): [string, string] => [`OIDC_PROVIDERS "${p.name}" issuer`, p.issuer]),
  ];
  for (const [name] of providers.filter(([, url]) => url.startsWith('http://'))) {
    warnings.push(`${name} is plain http: provider answers are not protected in transit.`);
  }
}
