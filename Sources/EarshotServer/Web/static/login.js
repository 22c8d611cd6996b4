// Sign-in page: posts the form as JSON, then goes where the visitor was headed.
import './common.js';

async function submit(form, path, errorId) {
  const error = document.getElementById(errorId);
  error.hidden = true;
  const body = Object.fromEntries(new FormData(form).entries());
  let response;
  try {
    response = await fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
    });
  } catch {
    error.textContent = 'The server could not be reached. Is it running?';
    error.hidden = false;
    return;
  }
  if (response.ok) {
    window.location.assign(form.dataset.next || '/');
    return;
  }
  let message = `HTTP ${response.status}`;
  try { message = (await response.json()).error.message; } catch { /* keep the status */ }
  error.textContent = message;
  error.hidden = false;
}

for (const [id, path, errorId] of [['sign-in', '/api/v1/session', 'sign-in-error'], ['setup', '/api/v1/setup', 'setup-error']]) {
  const form = document.getElementById(id);
  if (form) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit(form, path, errorId);
    });
  }
}
