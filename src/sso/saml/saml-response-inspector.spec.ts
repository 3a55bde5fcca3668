import { describe, expect, it } from 'vitest';
import { SsoRefusal } from '../sso-refusal';
import {
  compactBase64,
  MAX_ENCODED_RESPONSE_LENGTH,
  inspectSamlResponse,
} from './saml-response-inspector';

const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';

function signature(
  ref: string,
  options: { method?: string; digest?: string; c14n?: string } = {},
): string {
  return (
    `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="${options.c14n ?? EXC}"/>` +
    `<ds:SignatureMethod Algorithm="${options.method ?? RSA_SHA256}"/>` +
    `<ds:Reference URI="#${ref}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    `<ds:Transform Algorithm="${EXC}"/></ds:Transforms><ds:DigestMethod Algorithm="${options.digest ?? SHA256}"/>` +
    `<ds:DigestValue>x</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>x</ds:SignatureValue></ds:Signature>`
  );
}

function assertion(id = 'a1', inner = signature(id)): string {
  return `<saml:Assertion ID="${id}" Version="2.0"><saml:Issuer>idp</saml:Issuer>${inner}<saml:Subject/></saml:Assertion>`;
}

function response(body = assertion(), extra = ''): string {
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="r1" Version="2.0" InResponseTo="_req" Destination="https://sp/acs">` +
    `<saml:Issuer>idp</saml:Issuer>${extra}<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${body}</samlp:Response>`
  );
}

const b64 = (xml: string) => Buffer.from(xml).toString('base64');

async function reasonOf(xml: string): Promise<string> {
  try {
    await inspectSamlResponse(b64(xml));
    return 'accepted';
  } catch (error) {
    if (error instanceof SsoRefusal) return error.reason;
    throw error;
  }
}

describe('inspectSamlResponse', () => {
  it('accepts a well-shaped response and reads its envelope', async () => {
    const inspected = await inspectSamlResponse(
      b64(`<?xml version="1.0" encoding="UTF-8"?>${response()}`),
    );
    expect(inspected).toMatchObject({
      envelopeSigned: false,
      inResponseTo: '_req',
      destination: 'https://sp/acs',
      issuer: 'idp',
    });
    expect(
      (await inspectSamlResponse(b64(response(assertion(), signature('r1'))))).envelopeSigned,
    ).toBe(true);
  });

  it('refuses markup declarations, comments and processing instructions before parsing', async () => {
    expect(await reasonOf(`<!DOCTYPE x>${response()}`)).toBe('doctype');
    expect(await reasonOf(`<!doctype x [<!ENTITY e "x">]>${response()}`)).toBe('doctype');
    expect(
      await reasonOf(
        response().replace('<saml:Subject/>', '<saml:Subject><!-- hi --></saml:Subject>'),
      ),
    ).toBe('xml_comment');
    expect(await reasonOf(`${response()}<?evil x?>`)).toBe('processing_instruction');
  });

  it('refuses missing, extra, nested, foreign and encrypted assertions', async () => {
    expect(await reasonOf(response(''))).toBe('no_assertion');
    expect(await reasonOf(response(assertion('a1') + assertion('a2')))).toBe('assertion_wrapping');
    expect(await reasonOf(response(assertion('a1', signature('a1') + assertion('a2'))))).toBe(
      'assertion_wrapping',
    );
    expect(
      await reasonOf(
        response(assertion(), `<samlp:Extensions>${assertion('a2')}</samlp:Extensions>`),
      ),
    ).toBe('assertion_wrapping');
    expect(
      await reasonOf(response(assertion() + '<x:Assertion xmlns:x="urn:evil" ID="a3"/>')),
    ).toBe('assertion_wrapping');
    expect(await reasonOf(response('<saml:EncryptedAssertion/>'))).toBe('encrypted_assertion');
  });

  it('refuses unsigned assertions and signatures out of place', async () => {
    expect(await reasonOf(response(assertion('a1', '')))).toBe('assertion_unsigned');
    expect(await reasonOf(response(assertion('a1', signature('a1') + signature('a1'))))).toBe(
      'assertion_unsigned',
    );
    expect(await reasonOf(response(assertion(), signature('r1') + signature('r1')))).toBe(
      'signature_wrapping',
    );
    expect(
      await reasonOf(
        response(
          assertion().replace('<saml:Subject/>', `<saml:Subject>${signature('a1')}</saml:Subject>`),
        ),
      ),
    ).toBe('signature_wrapping');
  });

  it('refuses weak algorithms and references to anything but the parent', async () => {
    expect(
      await reasonOf(
        response(
          assertion(
            'a1',
            signature('a1', { method: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' }),
          ),
        ),
      ),
    ).toBe('weak_signature_algorithm');
    expect(
      await reasonOf(
        response(
          assertion('a1', signature('a1', { digest: 'http://www.w3.org/2000/09/xmldsig#sha1' })),
        ),
      ),
    ).toBe('weak_signature_algorithm');
    expect(
      await reasonOf(
        response(
          assertion(
            'a1',
            signature('a1', { c14n: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments' }),
          ),
        ),
      ),
    ).toBe('weak_signature_algorithm');
    expect(await reasonOf(response(assertion('a1', signature('r1'))))).toBe('signature_reference');
  });

  it('refuses duplicate IDs, other roots, non-success status, and bytes that are not base64 UTF-8 XML', async () => {
    expect(await reasonOf(response(assertion('r1')))).toBe('duplicate_id');
    const standalone = assertion().replace(
      '<saml:Assertion',
      '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"',
    );
    expect(await reasonOf(standalone)).toBe('malformed_response');
    expect(await reasonOf(response().replace('status:Success', 'status:Requester'))).toBe(
      'status_not_success',
    );
    expect(await reasonOf('<a><b></a>')).toBe('malformed_xml');
    await expect(inspectSamlResponse('not base64!')).rejects.toThrow(SsoRefusal);
  });
});

describe('compactBase64', () => {
  it('takes base64 with the line breaks IdPs insert, and refuses anything else', () => {
    const encoded = Buffer.from('<samlp:Response/>').toString('base64');
    const wrapped = `${encoded.slice(0, 8)}\r\n${encoded.slice(8)}\n`;
    expect(compactBase64(wrapped)).toBe(encoded);
    expect(compactBase64('abc')).toBeNull();
    expect(compactBase64('ab=c')).toBeNull();
    expect(compactBase64('')).toBeNull();
    expect(compactBase64(' \n ')).toBeNull();
  });

  it('refuses the ReDoS shapes of the old pattern, and anything over the DTO limit', () => {
    expect(compactBase64(`${' '.repeat(99_000)}!`)).toBeNull();
    expect(compactBase64(`${'A'.repeat(99_000)}!`)).toBeNull();
    expect(compactBase64('A'.repeat(MAX_ENCODED_RESPONSE_LENGTH + 4))).toBeNull();
  });
});
