// Verify credentials with Digital Bazaar's published libraries, never the network.
// stdin: {"documents": {url: document}, "credentials": {name: credential}}
//   documents: our pinned contexts and the status list credentials, served by URL;
//   every other URL fails to load.
// stdout: {name: {"verified": bool, "error": str|null, "revoked": bool|null}}
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import didContext from 'did-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';

const input = JSON.parse(readFileSync(0, 'utf8'));
const contexts = new Map([
  ...didContext.contexts, ...multikeyContext.contexts, ...dataIntegrityContext.contexts]);
for(const [url, document] of Object.entries(input.documents)) {
  contexts.set(url, document);
}

const didKey = DidKey.driver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

async function documentLoader(url) {
  if(url.startsWith('did:key:')) {
    const document = await didKey.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(contexts.get(url))};
  }
  throw new Error(`refused to load ${url}: not served to this test`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

async function statusCheck({credential}) {
  const result = await checkStatus({credential, documentLoader, suite,
    verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true});
  if(!result.verified) {
    return result;
  }
  // checkStatus reports the bit; a set revocation bit means not verified.
  const revoked = result.results.some(r => r.status === true);
  return {verified: !revoked, revoked, error: revoked ? new Error('revoked') : undefined};
}

const out = {};
for(const [name, credential] of Object.entries(input.credentials)) {
  try {
    const isStatusList = (credential.type || []).includes('BitstringStatusListCredential');
    const result = await vc.verifyCredential({
      credential, suite, documentLoader,
      checkStatus: isStatusList ? undefined : statusCheck
    });
    const error = result.error ? String(result.error.errors?.[0]?.message ||
      result.error.message || result.error) : null;
    out[name] = {
      verified: result.verified,
      error,
      revoked: result.statusResult ? Boolean(result.statusResult.revoked) : null
    };
  } catch(e) {
    out[name] = {verified: false, error: String(e.message || e), revoked: null};
  }
}
process.stdout.write(JSON.stringify(out));
