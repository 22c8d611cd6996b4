// Account page: change one's own password (a new session comes back), create API keys (shown
// once) and revoke them.
import { api, act, toast } from './common.js';

const passwordForm = document.getElementById('change-password');
if (passwordForm) {
  passwordForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = document.getElementById('password-error');
    error.hidden = true;
    const fields = passwordForm.elements;
    if (fields.new_password.value !== fields.repeat.value) {
      error.textContent = 'The new password and its repetition differ.';
      error.hidden = false;
      return;
    }
    const button = passwordForm.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      await api('POST', '/api/v1/session/password', {
        current_password: fields.current_password.value, new_password: fields.new_password.value,
      });
      // Every session ended, this one included; the answer carried a new cookie, and the page
      // needs its new CSRF token.
      window.location.assign('/account?changed=1');
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
}
if (new URLSearchParams(window.location.search).get('changed') === '1') toast('Password changed; other sessions are signed out.');

const keyForm = document.getElementById('new-key-form');
keyForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const scopes = [...keyForm.querySelectorAll('input[name="scopes"]:checked')].map((box) => box.value);
  const body = { name: keyForm.elements.name.value.trim(), scopes };
  const created = await act(keyForm.querySelector('button[type="submit"]'), () => api('POST', '/api/v1/keys', body), `Key ${body.name} created`);
  if (!created) return;
  document.getElementById('key-text').textContent = created.api_key;
  document.getElementById('new-key').hidden = false;
  const row = document.createElement('tr');
  row.dataset.key = created.key.id;
  row.dataset.name = created.key.name;
  for (const text of [created.key.name, created.key.scopes.join(' '), `${created.key.prefix}…`, 'just now', 'never']) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
  const actions = document.createElement('td');
  const revoke = document.createElement('button');
  Object.assign(revoke, { type: 'button', className: 'danger', textContent: 'Revoke' });
  revoke.dataset.action = 'revoke';
  actions.append(revoke);
  row.append(actions);
  document.querySelector('#keys tbody').prepend(row);
  document.getElementById('no-keys')?.remove();
  keyForm.reset();
  document.getElementById('copy-key').focus();
});

document.getElementById('copy-key').addEventListener('click', async () => {
  const key = document.getElementById('key-text');
  try {
    await navigator.clipboard.writeText(key.textContent);
    toast('Key copied to the clipboard');
  } catch {
    const range = document.createRange();
    range.selectNodeContents(key);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    toast('Press Ctrl+C to copy the selected key');
  }
});

document.getElementById('keys').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action="revoke"]');
  const row = button?.closest('tr[data-key]');
  if (!button || !row) return;
  if (!window.confirm(`Revoke key ${row.dataset.name}? It stops working at once.`)) return;
  const revoked = await act(button, () => api('DELETE', `/api/v1/keys/${row.dataset.key}`), `${row.dataset.name} revoked`);
  if (revoked) button.parentElement.textContent = 'revoked just now';
});
