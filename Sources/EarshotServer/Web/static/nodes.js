// Nodes page: add (the key is shown once), test, disable/enable, delete.
import { api, act, toast } from './common.js';

const addForm = document.getElementById('add-node');
addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = addForm.querySelector('button[type="submit"]');
  const body = { name: addForm.elements.name.value.trim(), priority: Number(addForm.elements.priority.value || 0) };
  const created = await act(button, () => api('POST', '/api/v1/nodes', body), `Node ${body.name} added`);
  if (!created) return;
  document.getElementById('key-text').textContent = created.api_key;
  document.getElementById('new-key').hidden = false;
  document.getElementById('copy-key').focus();
  addForm.reset();
});

document.getElementById('copy-key').addEventListener('click', async () => {
  const key = document.getElementById('key-text').textContent;
  try {
    await navigator.clipboard.writeText(key);
    toast('Key copied to the clipboard');
  } catch {
    // Clipboard access needs a secure context: select the key so Ctrl+C copies it.
    const range = document.createRange();
    range.selectNodeContents(document.getElementById('key-text'));
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    toast('Press Ctrl+C to copy the selected key');
  }
});

document.getElementById('nodes').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  const row = button?.closest('tr[data-node]');
  if (!button || !row) return;
  const id = row.dataset.node;
  const name = row.dataset.name;
  switch (button.dataset.action) {
    case 'test': {
      const report = await act(button, () => api('POST', `/api/v1/nodes/${id}/test`));
      if (report) toast(`${name}: ${report.ok ? 'ready to take work' : 'cannot take work'}${report.reason ? ` — ${report.reason}` : ''}`, report.ok ? 'ok' : 'error');
      break;
    }
    case 'disable': case 'enable': {
      const node = await act(button, () => api('POST', `/api/v1/nodes/${id}/${button.dataset.action}`), `${name} ${button.dataset.action}d`);
      if (node) {
        row.querySelector('[data-action="disable"]').hidden = node.state === 'disabled';
        row.querySelector('[data-action="enable"]').hidden = node.state !== 'disabled';
        const badge = row.querySelector('[data-state]');
        badge.textContent = node.state;
        badge.className = `badge state-${node.state}`;
      }
      break;
    }
    case 'delete':
      if (!window.confirm(`Delete node ${name}? Its key stops working at once.`)) return;
      if (await act(button, () => api('DELETE', `/api/v1/nodes/${id}`), `${name} deleted`) !== undefined) row.remove();
      break;
    default:
      break;
  }
});
