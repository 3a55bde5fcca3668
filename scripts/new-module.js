#!/usr/bin/env node
'use strict';
/**
 * `npm run new:module <name> [-- --singular <word>]`: generates a protected feature module like
 * `projects` (entity, migration, DTOs, controller, service, permissions registered by its
 * module, an e2e spec with the cross-tenant and permission cases) and wires it into the app.
 * `<name>` is the plural, kebab-case resource name (`invoices`, `support-tickets`).
 */
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');

const root = join(__dirname, '..');
const templates = join(__dirname, 'new-module', 'templates');

function fail(message) {
  console.error(`new:module: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { name: undefined, singular: undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--singular') args.singular = argv[++i];
    else if (!args.name) args.name = argv[i];
    else fail(`unexpected argument ${argv[i]}`);
  }
  return args;
}

const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

function singularOf(plural) {
  if (plural.endsWith('ies')) return `${plural.slice(0, -3)}y`;
  if (/(?:ss|x|z|ch|sh)es$/.test(plural)) return plural.slice(0, -2);
  if (plural.endsWith('s') && !plural.endsWith('ss')) return plural.slice(0, -1);
  return null;
}

const words = (kebab) => kebab.split('-');
const capital = (word) => word[0].toUpperCase() + word.slice(1);
const pascal = (kebab) => words(kebab).map(capital).join('');
const camel = (kebab) => words(kebab)[0] + words(kebab).slice(1).map(capital).join('');
const snake = (kebab) => words(kebab).join('_');

function namesFor(plural, singular) {
  return {
    __names__: plural,
    __name__: singular,
    __Names__: pascal(plural),
    __Name__: pascal(singular),
    __camels__: camel(plural),
    __CONST__: snake(singular).toUpperCase(),
    __table__: snake(plural),
    __key__: snake(singular),
    __label__: words(plural).join(' '),
    __Label__: capital(words(plural).join(' ')),
  };
}

function render(template, tokens) {
  let text = readFileSync(join(templates, template), 'utf8');
  for (const [token, value] of Object.entries(tokens)) text = text.split(token).join(value);
  const left = text.match(/__[a-z]+__/i);
  if (left) fail(`template ${template} has an unknown placeholder ${left[0]}`);
  return text;
}

/** Inserts `line` before the first line after `start` that matches `end`. */
function insertBefore(file, start, end, line) {
  const path = join(root, file);
  const lines = readFileSync(path, 'utf8').split('\n');
  const from = lines.findIndex((text) => start.test(text));
  const to = from < 0 ? -1 : lines.findIndex((text, index) => index > from && end.test(text));
  if (to < 0) fail(`cannot find where to add ${line.trim()} in ${file}`);
  lines.splice(to, 0, line);
  writeFileSync(path, lines.join('\n'));
}

function addImport(file, statement) {
  const path = join(root, file);
  const lines = readFileSync(path, 'utf8').split('\n');
  let last = -1;
  lines.forEach((text, index) => {
    if (/^import /.test(text) || /^\} from '/.test(text)) last = index;
  });
  lines.splice(last + 1, 0, statement);
  writeFileSync(path, lines.join('\n'));
}

function nextMigrationTimestamp() {
  const stamps = readdirSync(join(root, 'migrations'))
    .map((file) => /^(\d{13})-/.exec(file)?.[1])
    .filter(Boolean)
    .map(Number);
  return Math.max(Date.now(), ...stamps.map((stamp) => stamp + 100_000));
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.name) fail('usage: npm run new:module <plural-kebab-name> [-- --singular <word>]');
  const plural = args.name;
  if (!KEBAB.test(plural) || plural.length > 40)
    fail(`"${plural}" is not a kebab-case name of at most 40 characters`);
  const singular = args.singular ?? singularOf(plural);
  if (!singular || !KEBAB.test(singular) || singular === plural)
    fail(`cannot tell the singular of "${plural}": pass -- --singular <word>`);

  const tokens = namesFor(plural, singular);
  const folder = join('src', plural);
  if (existsSync(join(root, folder))) fail(`${folder} already exists`);
  const subject = tokens.__Name__;
  const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(join(root, 'src', file), 'utf8') }));
  const clashes = [
    [/\.permissions\.ts$/, `name: '${subject}'`, `a permission subject ${subject}`],
    [/\.entity\.ts$/, `@Entity('${tokens.__table__}')`, `a table ${tokens.__table__}`],
    [/\.controller\.ts$/, `'v1/${plural}`, `routes under /v1/${plural}`],
  ];
  for (const [files, needle, what] of clashes) {
    const clash = sources.find(({ file, text }) => files.test(file) && text.includes(needle));
    if (clash) fail(`src/${clash.file} already has ${what}`);
  }
  const routes = join(root, 'docs', 'routes.md');
  const served = existsSync(routes) ? readFileSync(routes, 'utf8') : '';
  if (served.includes(`\`/v1/${plural}\``) || served.includes(`\`/v1/${plural}/`))
    fail(`docs/routes.md already lists routes under /v1/${plural}`);

  const timestamp = nextMigrationTimestamp();
  const migrationClass = `${tokens.__Names__}${timestamp}`;
  const files = {
    [join(folder, `${plural}.module.ts`)]: 'module.ts.tpl',
    [join(folder, `${plural}.permissions.ts`)]: 'permissions.ts.tpl',
    [join(folder, `${plural}.controller.ts`)]: 'controller.ts.tpl',
    [join(folder, `${plural}.service.ts`)]: 'service.ts.tpl',
    [join(folder, 'dto', `${singular}.dto.ts`)]: 'dto.ts.tpl',
    [join(folder, 'entities', `${singular}.entity.ts`)]: 'entity.ts.tpl',
    [join('migrations', `${timestamp}-${plural}.ts`)]: 'migration.ts.tpl',
    [join('test', plural, `${plural}.e2e-spec.ts`)]: 'e2e-spec.ts.tpl',
  };
  for (const [file, template] of Object.entries(files)) {
    const path = join(root, file);
    if (existsSync(path)) fail(`${file} already exists`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, render(template, { ...tokens, __timestamp__: String(timestamp) }));
  }

  // The app imports the module; entities and migrations are listed, not globbed.
  const moduleClass = `${tokens.__Names__}Module`;
  addImport('src/app.module.ts', `import { ${moduleClass} } from './${plural}/${plural}.module';`);
  insertBefore('src/app.module.ts', /static forRoot/, /new:module adds/, `        ${moduleClass},`);
  addImport(
    'src/database/entities.ts',
    `import { ${subject} } from '../${plural}/entities/${singular}.entity';`,
  );
  insertBefore(
    'src/database/entities.ts',
    /^export const ENTITIES = \[/,
    /^\] as const;/,
    `  ${subject},`,
  );
  // Its rows have a tenant: reached only through the tenant-scoped repository (lint reads this list).
  addImport(
    'src/database/tenant-owned.ts',
    `import { ${subject} } from '../${plural}/entities/${singular}.entity';`,
  );
  insertBefore(
    'src/database/tenant-owned.ts',
    /^export const TENANT_OWNED_ENTITIES = \[/,
    /^\] as const;/,
    `  ${subject},`,
  );
  addImport('migrations/index.ts', `import { ${migrationClass} } from './${timestamp}-${plural}';`);
  insertBefore(
    'migrations/index.ts',
    /^export const MIGRATIONS = \[/,
    /^\] as const;/,
    `  ${migrationClass},`,
  );

  const touched = [
    ...Object.keys(files),
    'src/app.module.ts',
    'src/database/entities.ts',
    'src/database/tenant-owned.ts',
    'migrations/index.ts',
  ];
  execFileSync(
    join(root, 'node_modules', '.bin', 'prettier'),
    ['--write', '--log-level', 'warn', ...touched],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );

  console.log(`Created the ${plural} module (subject ${subject}):`);
  for (const file of touched) console.log(`  ${relative(root, join(root, file))}`);
  console.log(`
Next:
  npm run typecheck
  DATABASE_URL= REDIS_URL= npx vitest run --project e2e test/${plural}/${plural}.e2e-spec.ts
  npm run routes        # docs/routes.md gains the /v1/${plural} routes
Then shape the entity, the DTOs and the permissions (${folder}/${plural}.permissions.ts) to the
resource, and write the migration's columns to match the entity.`);
}

main();
