// The console's only script: hashes trade documents in the browser, previews discounts, and
// refreshes the live parts of a page when the gateway's event stream says the ledger changed.
'use strict';

// yuan renders fen (a BigInt) as ¥1,234,567.89, like the server does.
function yuan(fen) {
  const neg = fen < 0n;
  if (neg) fen = -fen;
  const whole = (fen / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (fen % 100n).toString().padStart(2, '0');
  return (neg ? '-' : '') + '¥' + whole + '.' + cents;
}

// discount is amount x rate x days / (10000 x 360), rounded half up to the fen: the chaincode's rule.
function discount(amountFen, rateBps, days) {
  const num = amountFen * rateBps * days;
  const den = 10000n * 360n;
  return (2n * num + den) / (2n * den);
}

function updatePreview(box) {
  const input = box.querySelector('input.rate');
  if (!input || !/^\d+$/.test(input.value)) return;
  const amount = BigInt(box.dataset.amountFen), days = BigInt(box.dataset.days), rate = BigInt(input.value);
  const d = discount(amount, rate, days < 0n ? 0n : days);
  box.querySelector('output.discount').textContent = yuan(d);
  box.querySelector('output.disbursed').textContent = yuan(amount - d);
}

function hex(buf) {
  return Array.from(new Uint8Array(buf), b => b.toString(16).padStart(2, '0')).join('');
}

// hashFile puts the SHA-256 of the chosen file into the form; the file itself is never sent
// (its input has no name).
async function hashFile(input) {
  const target = document.getElementById(input.dataset.target);
  const out = document.getElementById(input.dataset.target + '-out');
  target.value = '';
  if (!input.files || input.files.length === 0) { out.textContent = ''; return; }
  out.textContent = '计算中 hashing…';
  const sum = hex(await crypto.subtle.digest('SHA-256', await input.files[0].arrayBuffer()));
  target.value = sum;
  out.textContent = 'SHA-256 ' + sum;
  out.dataset.sha256 = sum;
}

function wire(root) {
  root.querySelectorAll('.preview').forEach(box => {
    const input = box.querySelector('input.rate');
    if (input) input.addEventListener('input', () => updatePreview(box));
  });
  root.querySelectorAll('input.hash-file').forEach(input => {
    input.addEventListener('change', () => { hashFile(input); });
  });
}

// refresh reads this page again once the console has seen block n, and replaces each live
// section, unless the person is typing in it.
let refreshing = Promise.resolve();
function refresh(n) {
  refreshing = refreshing.then(async () => {
    const resp = await fetch(location.href, { headers: { 'X-Console-Block': String(n) }, credentials: 'same-origin' });
    if (!resp.ok || resp.redirected) return;
    const doc = new DOMParser().parseFromString(await resp.text(), 'text/html');
    document.querySelectorAll('[data-live]').forEach(old => {
      const fresh = doc.getElementById(old.id);
      if (!fresh || old.contains(document.activeElement) && document.activeElement !== document.body) return;
      const node = document.importNode(fresh, true);
      old.replaceWith(node);
      wire(node);
    });
    document.body.dataset.block = String(n);
  }).catch(() => {});
}

function listen() {
  const names = (document.body.dataset.events || '').split(' ').filter(Boolean);
  if (names.length === 0 || !window.EventSource) return;
  const live = document.getElementById('live');
  const es = new EventSource('/events');
  const on = ev => {
    let data = {};
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    live.textContent = '新交易 New transaction: ' + data.name + ' in block ' + data.blockNumber + ' (tx ' + String(data.txId).slice(0, 12) + '…)';
    refresh(data.blockNumber);
  };
  names.forEach(n => es.addEventListener(n, on));
  es.addEventListener('open', () => { document.body.dataset.stream = 'open'; });
}

document.addEventListener('DOMContentLoaded', () => {
  wire(document);
  listen();
});
