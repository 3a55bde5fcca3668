import type { Response } from 'express';
import { errorPage, pageCsp } from './pages';

/**
 * What an interaction step answers: an HTML page, or a 303 back to the engine, which resumes
 * the authorization request. The service decides; `sendAnswer` is the one place that writes.
 */
export type InteractionAnswer =
  | {
      kind: 'page';
      status: number;
      html: string;
      /** Where the page may send the browser (the client's redirect URI), for its CSP. */
      formTargets?: readonly string[];
      headers?: Readonly<Record<string, string>>;
    }
  | { kind: 'redirect'; location: string };

export function errorAnswer(status: number, title: string, message: string): InteractionAnswer {
  return { kind: 'page', status, html: errorPage(title, message) };
}

/** Writes an answer. Pages are never cached and may only go where their CSP lets them. */
export function sendAnswer(res: Response, answer: InteractionAnswer): void {
  if (answer.kind === 'redirect') {
    // As oidc-provider's own `interactionFinished` answers.
    res.status(303);
    res.setHeader('Location', answer.location);
    res.setHeader('Content-Length', '0');
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  res.status(answer.status);
  res.setHeader('Content-Security-Policy', pageCsp(answer.formTargets));
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(answer.html);
}
