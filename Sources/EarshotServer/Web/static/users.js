// Users page (admins): add a user, change a role, set a password, delete.
import { api, act, toast } from './common.js';

const addForm = document.getElementById('add-user');
addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const fields = addForm.elements;
  const body = { username: fields.username.value.trim(), password: fields.password.value, role: fields.role.value };
  const created = await act(addForm.querySelector('button[type="submit"]'), () => api('POST', '/api/v1/users', body), `${body.username} added`);
  // The list is rendered by the server (and the first user may have turned accounts on).
  if (created) window.location.reload();
});

const table = document.getElementById('users');
table.addEventListener('change', async (event) => {
  const select = event.target.closest('select[data-role]');
  const row = select?.closest('tr[data-user]');
  if (!select || !row) return;
  const before = [...select.options].find((option) => option.defaultSelected)?.value;
  const changed = await act(select, () => api('PATCH', `/api/v1/users/${row.dataset.user}`, { role: select.value }), `${row.dataset.name} is now ${select.value}`);
  if (changed) {
    for (const option of select.options) option.defaultSelected = option.value === changed.role;
  } else if (before) {
    select.value = before;
  }
});

table.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  const row = button?.closest('tr[data-user]');
  if (!button || !row) return;
  const name = row.dataset.name;
  switch (button.dataset.action) {
    case 'password': {
      const password = window.prompt(`New password for ${name} (at least 10 characters). Their sessions end.`);
      if (!password) return;
      await act(button, () => api('PATCH', `/api/v1/users/${row.dataset.user}`, { password }), `${name}'s password changed`);
      break;
    }
    case 'delete':
      if (!window.confirm(`Delete ${name}? Their keys and sessions end; their jobs stay.`)) return;
      if (await act(button, () => api('DELETE', `/api/v1/users/${row.dataset.user}`), `${name} deleted`) !== undefined) row.remove();
      break;
    default:
      toast('Unknown action', 'error');
  }
});
