import { type DynamicModule, RequestMethod, type Type } from '@nestjs/common';
import {
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  MODULE_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ACCESS_METADATA, type AccessRequirement } from '../common/decorators/access.decorators';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** What a module's `imports` may hold. */
type ModuleEntry = unknown;

/**
 * Puts `IdempotencyInterceptor` on every authenticated POST route of the application's modules. Per route rather than global: an interceptor puts each request it sees
 * through Nest's RxJS chain, and reads and other writes should not pay for it. It runs before
 * Nest scans the modules, so the interceptor is a route injectable like any other: each app
 * gets its own instance, and running it again (another app in the same process) changes nothing.
 */
export function bindIdempotentRoutes(root: DynamicModule): DynamicModule {
  for (const controller of controllersOf([root])) {
    for (const [name, handler] of handlersOf(controller)) {
      if (!isAuthenticatedPost(controller, handler)) continue;
      if (writesOwnAnswer(controller, name)) {
        throw new Error(
          `${controller.name}.${name}: an authenticated POST must return its answer (not write it through @Res) to support Idempotency-Key`,
        );
      }
      const bound = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[]) ?? [];
      if (bound.includes(IdempotencyInterceptor)) continue;
      // First, so that it sees the answer every other interceptor of the route produced.
      Reflect.defineMetadata(INTERCEPTORS_METADATA, [IdempotencyInterceptor, ...bound], handler);
    }
  }
  return root;
}

function isAuthenticatedPost(controller: Type, handler: object): boolean {
  if (Reflect.getMetadata(METHOD_METADATA, handler) !== RequestMethod.POST) return false;
  // The route's rule overrides the controller's, as in the authentication guard.
  const access = (Reflect.getMetadata(ACCESS_METADATA, handler) ??
    Reflect.getMetadata(ACCESS_METADATA, controller)) as AccessRequirement | undefined;
  return access !== undefined && access.kind !== 'public';
}

function writesOwnAnswer(controller: Type, name: string): boolean {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<
    string,
    unknown
  >;
  const takesResponse = Object.keys(args).some((key) => {
    const type = key.split(':')[0];
    return type === String(RouteParamtypes.RESPONSE) || type === String(RouteParamtypes.NEXT);
  });
  return (
    takesResponse && Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, controller, name) !== true
  );
}

/** The methods of a controller and of the classes it extends (the nearest definition wins). */
function handlersOf(controller: Type): Map<string, object> {
  const handlers = new Map<string, object>();
  for (let proto = controller.prototype as object | null; proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const value: unknown = Object.getOwnPropertyDescriptor(proto, name)?.value;
      if (name !== 'constructor' && typeof value === 'function' && !handlers.has(name))
        handlers.set(name, value);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return handlers;
}

/** Controllers of the modules, walking their imports (classes and dynamic modules alike). */
function controllersOf(modules: readonly ModuleEntry[]): Set<Type> {
  const seen = new Set<unknown>();
  const controllers = new Set<Type>();
  const visit = (entry: ModuleEntry): void => {
    const resolved = resolveForwardRef(entry);
    if (!resolved || seen.has(resolved)) return;
    seen.add(resolved);
    const dynamic =
      typeof resolved === 'object' && 'module' in resolved
        ? (resolved as { module: Type; imports?: unknown[]; controllers?: Type[] })
        : null;
    const moduleClass = dynamic ? dynamic.module : resolved;
    if (typeof moduleClass !== 'function') return;
    const metadata = (key: string) => (Reflect.getMetadata(key, moduleClass) as unknown[]) ?? [];
    for (const controller of [
      ...metadata(MODULE_METADATA.CONTROLLERS),
      ...(dynamic?.controllers ?? []),
    ])
      controllers.add(controller as Type);
    for (const imported of [...metadata(MODULE_METADATA.IMPORTS), ...(dynamic?.imports ?? [])])
      visit(imported);
  };
  for (const entry of modules) visit(entry);
  return controllers;
}

function resolveForwardRef(entry: ModuleEntry): unknown {
  if (entry && typeof entry === 'object' && 'forwardRef' in entry) {
    return (entry as { forwardRef: () => unknown }).forwardRef();
  }
  // A promise of a dynamic module is resolved by Nest only while scanning; none is used here.
  return entry instanceof Promise ? null : entry;
}
