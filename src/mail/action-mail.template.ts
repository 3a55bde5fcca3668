export interface ActionMailContent {
  /** Plain sentences, before the link. */
  paragraphs: readonly string[];
  /** The label of the button (HTML) and of the link line (text). */
  action: string;
  link: string;
  /** Plain sentences after the link: how long it lasts, what to do if unexpected. */
  footer: readonly string[];
}

export interface RenderedMail {
  text: string;
  html: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Everything that reaches the HTML part is escaped: tenant and user names are user input. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * One mail with one call to action, as plain text and as simple inline-styled HTML (mail
 * clients ignore style sheets). The link appears once in each part and nothing else in the
 * mail is secret.
 */
export function renderActionMail(content: ActionMailContent): RenderedMail {
  return render(content.paragraphs, content.footer, content);
}

/** A mail that only informs (a new sign-in method, say): the same layout, with no link at all. */
export function renderNoticeMail(
  content: Pick<ActionMailContent, 'paragraphs' | 'footer'>,
): RenderedMail {
  return render(content.paragraphs, content.footer, null);
}

function render(
  paragraphs: readonly string[],
  footer: readonly string[],
  call: { action: string; link: string } | null,
): RenderedMail {
  const text = [...paragraphs, '', ...(call ? [`${call.action}: ${call.link}`, ''] : []), ...footer]
    .join('\n')
    .concat('\n');
  const paragraph = (line: string, style = 'margin:0 0 16px'): string =>
    `<p style="${style}">${escapeHtml(line)}</p>`;
  const html = [
    '<!doctype html>',
    '<html><body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2933">',
    '<div style="max-width:560px;margin:0 auto;padding:24px">',
    ...paragraphs.map((line) => paragraph(line)),
    ...(call
      ? [
          `<p style="margin:24px 0"><a href="${escapeHtml(call.link)}" style="background:#1f4fd1;color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none;display:inline-block">${escapeHtml(call.action)}</a></p>`,
        ]
      : []),
    ...footer.map((line) => paragraph(line, 'margin:0 0 12px;color:#52606d;font-size:13px')),
    '</div></body></html>',
  ].join('\n');
  return { text, html };
}
