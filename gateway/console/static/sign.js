// Signing in the browser, for users whose key the gateway never holds.
//
// Enrollment (/enroll): WebCrypto makes a non-extractable ECDSA P-256 key pair, IndexedDB keeps it
// (the browser stores the CryptoKey objects; the private key cannot be read out, not even by this
// script), and only a PKCS#10 request built here goes to the gateway with the one-time code.
//
// Writes: the gateway prepares each transaction and sends the bytes to sign; before signing, this
// script reads them (a minimal protobuf reader) and refuses anything but the action the person's
// form asked for: the function and arguments rebuilt here from the form, the person's own
// certificate as creator, the transaction id its nonce makes, the time, one channel; then that
// the transaction carries the same header and input. WebCrypto hashes with SHA-256 itself, so the
// bytes are signed, never a digest; the signature goes out as DER with a low S, as Fabric wants.
//
// What this does not defend against: this script is served by the gateway, so a compromised
// gateway can serve one that signs something else while the page is open (docs/security.md).
'use strict';

(() => {
  // ---- bytes ----
  const utf8 = new TextEncoder();
  const text = new TextDecoder('utf-8', { fatal: true });
  const cat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  };
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const hexOf = b => Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  const b64 = b => btoa(String.fromCharCode(...b));
  const unb64 = s => Uint8Array.from(atob(s), c => c.charCodeAt(0));
  const sha256 = async b => new Uint8Array(await crypto.subtle.digest('SHA-256', b));

  // ---- DER, just what a CSR and a signature need ----
  function tlv(tag, body) {
    let len = [body.length];
    if (body.length >= 0x80) { // long form: 0x80 | count, then the length big-endian
      len = [];
      for (let n = body.length; n > 0; n >>= 8) len.unshift(n & 0xff);
      len.unshift(0x80 | len.length);
    }
    return cat(Uint8Array.of(tag, ...len), body);
  }
  const seq = (...xs) => tlv(0x30, cat(...xs));
  // uint is an unsigned big-endian number as a DER INTEGER: no leading zeros, and a 0 in front
  // when the top bit is set (else it would read as negative).
  function uint(b) {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    b = b.subarray(i);
    return tlv(0x02, b[0] & 0x80 ? cat(Uint8Array.of(0), b) : b);
  }
  const OID_CN = Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03); // 2.5.4.3 commonName
  const OID_ECDSA_SHA256 = Uint8Array.of(0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02); // 1.2.840.10045.4.3.2

  // P-256's group order n: a signature (r, s) is as valid as (r, n - s); Fabric takes only the
  // low one (s <= n/2), so that a signed transaction cannot be given a second form.
  const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const toBig = b => BigInt('0x' + hexOf(b));
  const to32 = v => Uint8Array.from(v.toString(16).padStart(64, '0').match(/../g), h => parseInt(h, 16));

  // sign signs bytes with the key (WebCrypto hashes them with SHA-256) and returns the signature
  // as DER SEQUENCE { INTEGER r, INTEGER s } with a low s; WebCrypto gives r || s, 32 bytes each.
  async function sign(key, bytes) {
    const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, bytes));
    let s = toBig(raw.subarray(32));
    if (s > N / 2n) s = N - s;
    return seq(uint(raw.subarray(0, 32)), uint(to32(s)));
  }

  // csr is a PKCS#10 request for CN=name with the key pair's public key, signed by its private key.
  async function csr(name, keys) {
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey)); // public keys export
    const subject = seq(tlv(0x31, seq(OID_CN, tlv(0x0c, utf8.encode(name))))); // Name: SET { CN UTF8String }
    const info = seq(uint(Uint8Array.of(0)), subject, spki, tlv(0xa0, new Uint8Array(0))); // version 0, no attributes
    const der = seq(info, seq(OID_ECDSA_SHA256), tlv(0x03, cat(Uint8Array.of(0), await sign(keys.privateKey, info))));
    const lines = b64(der).match(/.{1,64}/g).join('\n');
    return '-----BEGIN CERTIFICATE REQUEST-----\n' + lines + '\n-----END CERTIFICATE REQUEST-----\n';
  }

  // ---- protobuf, read only ----
  // fields reads one message into {field number: [values]}: a varint as a BigInt, a
  // length-delimited field as its bytes; fixed-width fields are skipped (none is read here).
  function fields(b) {
    const out = {};
    let i = 0;
    const varint = () => {
      let v = 0n, shift = 0n, c;
      do {
        if (i >= b.length || shift > 63n) throw new Error('malformed protobuf');
        c = b[i++];
        v |= BigInt(c & 0x7f) << shift;
        shift += 7n;
      } while (c & 0x80);
      return v;
    };
    while (i < b.length) {
      const key = varint(), wt = Number(key & 7n);
      let v;
      if (wt === 0) v = varint();
      else if (wt === 2) {
        const n = Number(varint());
        if (i + n > b.length) throw new Error('malformed protobuf');
        v = b.subarray(i, i + n);
        i += n;
      } else if (wt === 1 || wt === 5) { i += wt === 1 ? 8 : 4; continue; } else throw new Error('malformed protobuf');
      (out[Number(key >> 3n)] ||= []).push(v);
    }
    return out;
  }
  // one is a field that may appear once (a second copy could hide a value): its bytes, or empty.
  const one = (m, f) => {
    const v = m[f] || [];
    if (v.length > 1) throw new Error('field ' + f + ' given twice');
    return v.length ? v[0] : new Uint8Array(0);
  };
  const str = (m, f) => text.decode(one(m, f));
  const num = (m, f) => (typeof one(m, f) === 'bigint' ? one(m, f) : 0n);

  // readProposal reads a peer.Proposal: Proposal{header, payload}, Header{channel_header,
  // signature_header}, ChannelHeader{type, timestamp, channel_id, tx_id}, SignatureHeader{creator
  // (SerializedIdentity{mspid, id_bytes}), nonce}, ChaincodeProposalPayload{input, TransientMap},
  // ChaincodeInvocationSpec{ChaincodeSpec{chaincode_id{name}, input{args}}}.
  function readProposal(b) {
    const prop = fields(b);
    const header = fields(one(prop, 1));
    const chBytes = one(header, 1), shBytes = one(header, 2);
    const ch = fields(chBytes), sh = fields(shBytes);
    const creator = fields(one(sh, 1));
    const payload = fields(one(prop, 2));
    const spec = fields(one(fields(one(payload, 1)), 1));
    // No prototype: a key named __proto__ or constructor is a private value like any other.
    const transient = Object.create(null);
    for (const entry of payload[2] || []) {
      const kv = fields(entry);
      const k = str(kv, 1);
      if (k in transient) throw new Error('private value ' + k + ' given twice');
      transient[k] = str(kv, 2);
    }
    return {
      type: num(ch, 1), time: Number(num(fields(one(ch, 3)), 1)) * 1000,
      channel: str(ch, 4), txId: str(ch, 5), chaincode: str(fields(one(spec, 2)), 2),
      // ChannelHeader.extension: ChaincodeHeaderExtension{chaincode_id{name}}, as Fabric routes it.
      headerChaincode: str(fields(one(fields(one(ch, 7)), 2)), 2),
      mspId: str(creator, 1), cert: str(creator, 2), creator: one(sh, 1), nonce: one(sh, 2),
      args: (fields(one(spec, 3))[1] || []).map(a => text.decode(a)),
      transient, chBytes, shBytes, input: one(payload, 1),
    };
  }

  class Unapproved extends Error {}
  const refuseIf = (bad, what, asked, approved) => {
    if (bad) throw new Unapproved('the ' + what + ' differs: the gateway asked to sign ' + asked + ' but you approved ' + approved);
  };
  const call = (fn, args) => fn + '(' + args.map(a => JSON.stringify(a)).join(', ') + ')';

  // OPS are the writes a form asks for: the chaincode function, and its arguments (and private
  // values) rebuilt from the request body as wire.Ops maps them (absent body fields are "").
  const OPS = {
    accept: { tx: 'Accept', args: id => [id] },
    revoke: { tx: 'Revoke', args: id => [id] },
    'withdraw-financing': { tx: 'WithdrawFinancing', args: id => [id] },
    confirm: { tx: 'ConfirmInstruction', args: id => [id] },
    reject: { tx: 'Reject', args: (id, b) => [id, b.reason || ''] },
    refuse: { tx: 'RefuseInstruction', args: (id, b) => [id, b.reason || ''] },
    split: { tx: 'Split', args: (id, b) => [id, JSON.stringify(b.parts)] },
    transfer: { tx: 'Transfer', args: (id, b) => [id, b.to, b.amount || ''] },
    'request-financing': { tx: 'RequestFinancing', args: (id, b) => [id, b.bank] },
    redeem: { tx: 'Redeem', args: (id, b) => [id, b.paymentRef] },
    'redeem-all': { tx: 'RedeemAll', args: (id, b) => [id, b.paymentRef] },
    'decide-financing': {
      tx: 'DecideFinancing', args: (id, b) => [id, b.decision],
      transient: b => ({ rateBps: b.rateBps ? String(b.rateBps) : '', reason: b.reason || '' }),
    },
    'approve-financing': { tx: 'ApproveFinancing', args: (id, b) => [id, b.termsHash, ''] },
    'reject-financing': { tx: 'RejectFinancing', args: (id, b) => [id, b.termsHash] },
  };

  const SKEW = 5 * 60 * 1000; // as the CLI: the chaincode decides with the proposal's time

  // checkProposal refuses a proposal that is not the approved write of this key's owner.
  async function checkProposal(p, txId, op, id, body, rec) {
    refuseIf(p.type !== 3n, 'transaction type', 'type ' + p.type, 'a chaincode invocation');
    refuseIf(p.mspId !== rec.mspId || p.cert !== rec.cert, 'creator', 'as ' + p.mspId + ' with another certificate', 'signing as ' + rec.account + ' with the certificate this browser enrolled');
    const derived = hexOf(await sha256(cat(p.nonce, p.creator)));
    refuseIf(p.nonce.length === 0 || p.txId !== derived || txId !== derived, 'transaction id', p.txId, 'the id its nonce and creator make, ' + derived);
    refuseIf(rec.channel && (p.channel !== rec.channel || p.chaincode !== rec.chaincode), 'channel',
      p.channel + '/' + p.chaincode, rec.channel + '/' + rec.chaincode + ' (of this browser\'s first transaction)');
    refuseIf(p.headerChaincode !== p.chaincode, 'chaincode', 'header ' + p.headerChaincode + ', invocation ' + p.chaincode, 'one chaincode');
    refuseIf(Math.abs(p.time - Date.now()) > SKEW, 'time', new Date(p.time).toISOString(), 'now, within 5 minutes');
    const want = OPS[op], args = want.args(id, body);
    refuseIf(p.args[0] !== want.tx || p.args.length !== args.length + 1 || args.some((a, i) => p.args[i + 1] !== a),
      'function or arguments', call(p.args[0] || '', p.args.slice(1)), call(want.tx, args));
    const priv = want.transient ? want.transient(body) : {};
    const keys = Object.keys(p.transient).filter(k => k !== 'salt').sort();
    const salted = !want.transient || /^[0-9a-fA-F]{64}$/.test(p.transient.salt || '');
    refuseIf(!salted || ('salt' in p.transient) !== !!want.transient || keys.length !== Object.keys(priv).length || keys.some(k => p.transient[k] !== priv[k]),
      'private data', JSON.stringify(keys.map(k => k + '=' + p.transient[k])), JSON.stringify(Object.keys(priv).sort().map(k => k + '=' + priv[k])));
  }

  // checkTransaction refuses a transaction payload that is not this proposal's: Payload{header,
  // data: Transaction{actions: [TransactionAction{header, payload: ChaincodeActionPayload{
  // chaincode_proposal_payload, action: ChaincodeEndorsedAction{proposal_response_payload,
  // endorsements}}}]}}.
  async function checkTransaction(p, txId, b) {
    const payload = fields(b), header = fields(one(payload, 1));
    const actions = fields(one(payload, 2))[1] || [];
    refuseIf(txId !== p.txId, 'transaction id', txId, p.txId);
    refuseIf(!same(one(header, 1), p.chBytes) || !same(one(header, 2), p.shBytes), 'transaction header', 'another header', 'your proposal\'s');
    refuseIf(actions.length !== 1, 'transaction', actions.length + ' actions', 'one');
    const action = fields(actions[0]), cap = fields(one(action, 2));
    const cpp = fields(one(cap, 1)), endorsed = fields(one(cap, 2));
    refuseIf(!same(one(action, 1), p.shBytes), 'action header', 'another signature header', 'your proposal\'s');
    refuseIf(!same(one(cpp, 1), p.input) || (cpp[2] || []).length > 0, 'transaction input', 'another input', 'your proposal\'s');
    refuseIf((endorsed[2] || []).length === 0, 'endorsements', 'none', 'an endorsed transaction');
    const hash = await sha256(cat(p.chBytes, p.shBytes, one(cap, 1)));
    refuseIf(!same(one(fields(one(endorsed, 1)), 1), hash), 'endorsed proposal hash', 'another proposal', 'yours');
  }

  // ---- the key store: IndexedDB, one record per account of this gateway (this origin) ----
  function store(mode, f) {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open('recv-keys', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('keys');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('keys', mode);
        const req = f(tx.objectStore('keys'));
        tx.oncomplete = () => resolve(req.result);
        tx.onerror = () => reject(tx.error);
      };
    });
  }
  const getRecord = account => store('readonly', s => s.get(account));
  const putRecord = rec => store('readwrite', s => s.put(rec, rec.account));

  // ---- the console's signing endpoints ----
  class Shown extends Error {} // the console keeps a notice for the next page

  async function step(name, form, params) {
    const f = new FormData(form), body = new URLSearchParams();
    body.set('csrf', f.get('csrf'));
    for (const [k, v] of Object.entries(params)) body.set(k, v);
    const resp = await fetch('/sign/' + name, { method: 'POST', body, credentials: 'same-origin' });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* an HTML refusal page */ }
    if (resp.status === 202 || data.notice) throw new Shown();
    if (!resp.ok) {
      const err = new Error(data.detail || 'the console answered ' + resp.status);
      err.problem = data;
      throw err;
    }
    return data;
  }

  // signed runs one write through prepare, check, sign, endorse, check, sign, submit; a commit
  // conflict (the time beacon moved between endorsement and commit) is redone from a fresh
  // proposal, up to 3 times in all, as the CLI does.
  async function signed(form, rec, op, id, body, final) {
    for (let attempt = 1; ; attempt++) {
      const prep = await step('proposal', form, { op, id, body: JSON.stringify(body) });
      const proposal = unb64(prep.bytes), p = readProposal(proposal);
      await checkProposal(p, prep.txId, op, id, body, rec);
      if (!rec.channel) { rec.channel = p.channel; rec.chaincode = p.chaincode; await putRecord(rec); }
      const sig1 = await sign(rec.keys.privateKey, proposal);
      const tx = await step('endorse', form, { op, id, txId: p.txId, signature: b64(sig1) });
      const payload = unb64(tx.bytes);
      await checkTransaction(p, tx.txId, payload);
      const sig2 = await sign(rec.keys.privateKey, payload);
      try {
        await step('submit', form, { op, id, txId: p.txId, signature: b64(sig2), final: final ? '1' : '', retry: attempt < 3 ? '1' : '' });
        return tx;
      } catch (e) {
        if (!(e.problem && e.problem.kind === 'conflict' && e.problem.stage === 'commit') || attempt >= 3) throw e;
      }
    }
  }

  // form fields as the console's own forms name them, trimmed, amounts without separators
  const field = (f, k) => String(f.get(k) || '').trim();
  const amount = (f, k) => field(f, k).replaceAll(',', '');

  // bodyOf builds the request body of a form's action, as the console's server side would.
  function bodyOf(op, f) {
    switch (op) {
      case 'reject': case 'refuse': return { reason: field(f, 'reason') };
      case 'split': return { parts: f.getAll('part').map(v => String(v).trim().replaceAll(',', '')).filter(Boolean) };
      case 'transfer': return { to: field(f, 'to'), amount: amount(f, 'amount') };
      case 'request-financing': return { bank: field(f, 'bank') };
      case 'redeem': case 'redeem-all': return { paymentRef: field(f, 'paymentRef') };
      default: return {};
    }
  }

  function refusal(form, label, kind, detail) {
    const p = document.createElement('p');
    p.className = 'notice refused';
    p.setAttribute('role', 'alert');
    p.dataset.kind = kind;
    p.dataset.target = field(new FormData(form), 'id');
    p.textContent = '✘ ' + label + ' ' + p.dataset.target + ': 拒绝签名 not signed (' + kind + ') — ';
    const d = document.createElement('span');
    d.className = 'detail';
    d.textContent = detail;
    p.appendChild(d);
    document.querySelector('main h1').after(p);
    p.scrollIntoView({ block: 'nearest' });
  }

  // submitSigned signs a form's write in this browser; an approval or rejection of financing
  // first records the bank's decision (its terms stay private), then binds the hash its result
  // carries, as the CLI does.
  async function submitSigned(form, rec) {
    const op = form.getAttribute('action').slice('/do/'.length), f = new FormData(form);
    const id = field(f, 'id'), back = field(f, 'back') || '/';
    const label = (form.querySelector('button[type=submit]') || {}).textContent || op;
    const buttons = form.querySelectorAll('button');
    buttons.forEach(b => { b.disabled = true; });
    try {
      if (!(op in OPS) || op === 'decide-financing') throw new Unapproved('the console does not sign "' + op + '" in the browser: use the recv CLI with --sign-with');
      let body = bodyOf(op, f);
      if (op === 'approve-financing' || op === 'reject-financing') {
        const decision = op === 'approve-financing'
          ? { decision: 'approved', rateBps: Number(field(f, 'rateBps')) }
          : { decision: 'rejected', reason: field(f, 'reason') };
        if (op === 'approve-financing' && !/^[0-9]+$/.test(field(f, 'rateBps'))) throw new Unapproved('年利率 the rate must be a whole number of basis points');
        const decided = await signed(form, rec, 'decide-financing', id, decision, false);
        const items = (decided.result && decided.result.items) || [];
        if (items.length !== 1 || !/^[0-9a-f]{64}$/.test(items[0].termsHash || '')) throw new Error('the decision\'s result names no terms hash');
        body = { termsHash: items[0].termsHash };
      }
      await signed(form, rec, op, id, body, true);
      location.assign(back);
    } catch (e) {
      if (e instanceof Shown) { location.assign(back); return; }
      buttons.forEach(b => { b.disabled = false; });
      refusal(form, label, e instanceof Unapproved ? 'unapproved' : (e.problem && e.problem.kind) || 'error', e.message);
    }
  }

  // ---- enrollment ----
  async function enroll(form) {
    const out = document.getElementById('enroll-out');
    const f = new FormData(form), name = field(f, 'name');
    const account = form.dataset.msp + '/' + name;
    out.textContent = '生成密钥 making the key…';
    form.querySelector('button').disabled = true;
    try {
      // A key made for this account before (an enrollment that stopped) is used again, so that
      // the gateway can finish it: it takes only a request of the key it enrolled.
      let rec = await getRecord(account);
      if (!rec) {
        const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
        rec = { account, mspId: form.dataset.msp, keys };
        await putRecord(rec);
      }
      const body = new URLSearchParams({ csrf: f.get('csrf'), name, code: field(f, 'code'), csr: await csr(name, rec.keys) });
      const resp = await fetch('/enroll', { method: 'POST', body, credentials: 'same-origin' });
      const data = await resp.json();
      if (!resp.ok) throw new Error(data.detail || 'the console answered ' + resp.status);
      // The certificate must be of this key: its DER carries the key's SubjectPublicKeyInfo.
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', rec.keys.publicKey));
      const der = unb64(data.certificate.replace(/-----[^-]+-----|\s/g, ''));
      const at = der.findIndex((_, i) => same(der.subarray(i, i + spki.length), spki));
      if (at < 0) throw new Error('the certificate the gateway answered is not of this browser\'s key');
      rec.cert = data.certificate;
      await putRecord(rec);
      out.replaceChildren();
      const done = document.createElement('div');
      done.id = 'enrolled';
      done.className = 'notice ok';
      done.dataset.account = data.account;
      done.dataset.spki = b64(spki);
      done.append('✔ 已注册 Enrolled as ' + data.account + ' (' + data.role + '); this browser holds the key. Your sign-in token, shown once (keep it to sign in again): ');
      const token = document.createElement('code');
      token.id = 'new-token';
      token.textContent = data.token;
      const next = document.createElement('a');
      next.id = 'enrolled-next';
      next.href = data.next;
      next.textContent = '继续 Continue';
      done.append(token, ' ', next);
      out.appendChild(done);
      form.hidden = true;
    } catch (e) {
      form.querySelector('button').disabled = false;
      out.innerHTML = '';
      const p = document.createElement('p');
      p.className = 'notice refused';
      p.setAttribute('role', 'alert');
      p.id = 'enroll-error';
      p.textContent = '✘ 注册失败 Enrollment refused: ' + e.message;
      out.appendChild(p);
    }
  }

  // ---- wiring ----
  document.addEventListener('DOMContentLoaded', () => {
    const form = document.getElementById('enroll-form');
    if (form) {
      form.addEventListener('submit', ev => { ev.preventDefault(); enroll(form); });
      return;
    }
    if (document.body.dataset.signer !== 'offline') return;
    const me = document.getElementById('me');
    const found = (me ? getRecord(me.dataset.account) : Promise.resolve())
      .then(rec => (rec && rec.cert ? rec : undefined), () => undefined);
    found.then(rec => {
      if (!rec) return; // no key here: the forms post as usual, and the console says to use the CLI
      document.body.dataset.signer = 'browser';
      const note = document.getElementById('offline');
      if (note) note.textContent = '此浏览器签名 This browser holds your key (it cannot be exported): each write is prepared by the gateway, checked here against your form, and signed here.';
    });
    // Delegated, so that the sections a live refresh replaces are covered too; a form sent before
    // the key was looked up waits for it.
    document.addEventListener('submit', async ev => {
      const f = ev.target;
      if (!(f instanceof HTMLFormElement) || !(f.getAttribute('action') || '').startsWith('/do/')) return;
      ev.preventDefault();
      const rec = await found;
      if (rec) submitSigned(f, rec); else HTMLFormElement.prototype.submit.call(f);
    });
  });

  // For the tests (gateway/console's browsersign_test.go, the browser suite): the pieces above,
  // checked in Go against what the gateway and Fabric expect.
  window.recvSign = { sign, csr, readProposal, checkProposal, checkTransaction };
})();
