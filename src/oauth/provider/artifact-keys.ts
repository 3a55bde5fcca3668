import { sha256Hex } from '../../common/crypto/tokens';

export type ArtifactPayload = Record<string, unknown>;

/** Where an interaction's own id stood in its `returnTo`; braces never appear unescaped in a URL. */
const ID_MARK = '{id}';

/**
 * The key an artefact is stored under (SPEC §8, §14). For oidc-provider's opaque artefacts the
 * id is the credential itself: a refresh token, a code, the `_session` or `_interaction` cookie.
 * Grant ids stay plain: the engine never accepts one from a client or a browser as proof of
 * anything, and users list and revoke their grants by that id.
 */
export function storedId(model: string, id: string): string {
  return model === 'Grant' ? id : sha256Hex(id);
}

/** A session's uid is only looked up, never presented; hashed all the same, as cheap as that. */
export function storedUid(uid: string | null): string | null {
  return uid === null ? null : sha256Hex(uid);
}

/**
 * The payload without the values that equal a credential: the artefact's own `jti` (its id), an
 * interaction's copy of the `_session` cookie (`session.cookie`, which the engine never reads
 * back) and its id inside `returnTo`. `openPayload` puts back what the engine reads.
 */
export function sealPayload(model: string, id: string, payload: ArtifactPayload): ArtifactPayload {
  if (model === 'Grant') return payload;
  const { jti: _jti, ...sealed } = payload;
  if (model === 'Interaction') {
    const session = sealed.session as Record<string, unknown> | undefined;
    if (session && typeof session === 'object') {
      const { cookie: _cookie, ...rest } = session;
      sealed.session = rest;
    }
    if (typeof sealed.returnTo === 'string')
      sealed.returnTo = sealed.returnTo.split(id).join(ID_MARK);
  }
  return sealed;
}

/**
 * The payload the engine stored, for a row found by the id it asked for: it compares `jti` with
 * the cookie it came from (`resume`), and redirects to `returnTo`. Found by a session's uid
 * instead (`id` null), the session has no `jti`: the engine only reads such a session.
 */
export function openPayload(
  model: string,
  id: string | null,
  stored: ArtifactPayload,
): ArtifactPayload {
  if (model === 'Grant' || id === null) return stored;
  if (model === 'Interaction' && typeof stored.returnTo === 'string') {
    stored.returnTo = stored.returnTo.split(ID_MARK).join(id);
  }
  return { ...stored, jti: id };
}
