/**
 * A loader that runs `load` on its first call and hands every later caller the same promise.
 * For packages a process may never need (SAML, TOTP, QR codes): they load on first use, not at
 * boot. The type comes from `load` itself, so a dynamic `import()` keeps the ES-module typings
 * it resolves to.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}
