// Jobs list and job page: uploads with progress, row actions, and live state from the event stream.
import { api, act, toast, followEvents, showJobState, csrfToken } from './common.js';

const form = document.getElementById('upload');
const table = document.querySelector('table.jobs');

function upload(file) {
  const list = document.getElementById('uploads');
  const item = document.createElement('li');
  const name = document.createElement('span');
  name.textContent = file.name;
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', `Upload of ${file.name}`);
  const status = document.createElement('span');
  status.className = 'muted';
  status.textContent = 'uploading…';
  item.append(name, ' ', bar, ' ', status);
  list.append(item);

  const data = new FormData();
  for (const field of ['model', 'language']) {
    const value = form.elements[field].value;
    if (value) data.append(field, value);
  }
  if (form.elements.word_timestamps.checked) data.append('word_timestamps', 'true');
  data.append('file', file, file.name);
  // XMLHttpRequest, not fetch: only it reports upload progress.
  const request = new XMLHttpRequest();
  request.open('POST', '/api/v1/jobs');
  if (csrfToken()) request.setRequestHeader('X-CSRF-Token', csrfToken());
  request.upload.onprogress = (event) => { if (event.lengthComputable) bar.value = event.loaded / event.total; };
  request.onerror = () => {
    status.textContent = 'failed: the server could not be reached';
    status.className = 'error';
    toast(`Upload of ${file.name} failed: the server could not be reached`, 'error');
  };
  request.onload = () => {
    let body = null;
    try { body = JSON.parse(request.responseText); } catch { body = null; }
    if (request.status === 201 && body) {
      bar.value = 1;
      status.replaceChildren();
      const link = document.createElement('a');
      link.href = `/jobs/${body.id}`;
      link.textContent = 'queued — view job';
      status.append(link);
      toast(`${file.name} uploaded and queued`);
      addRow(body);
    } else {
      const message = body && body.error ? body.error.message : `HTTP ${request.status}`;
      status.textContent = `failed: ${message}`;
      status.className = 'error';
      toast(`Upload of ${file.name} failed: ${message}`, 'error');
    }
  };
  request.send(data);
}

function addRow(job) {
  if (!table || !table.tBodies[0] || table.querySelector(`tr[data-job="${CSS.escape(job.id)}"]`) || !document.getElementById('upload')) return;
  const row = table.tBodies[0].insertRow(0);
  row.dataset.job = job.id;
  const file = row.insertCell();
  const link = document.createElement('a');
  link.href = `/jobs/${job.id}`;
  link.textContent = job.media.filename || job.id;
  file.append(link);
  const state = row.insertCell();
  const badge = document.createElement('span');
  badge.dataset.state = '';
  state.append(badge);
  const created = row.insertCell();
  created.textContent = new Date(job.created_at).toLocaleString();
  const duration = row.insertCell();
  duration.textContent = job.media.duration_seconds ? `${Math.round(job.media.duration_seconds)} s` : '—';
  const actions = row.insertCell();
  actions.className = 'actions';
  for (const [action, label] of [['cancel', 'Cancel'], ['retry', 'Retry'], ['delete', 'Delete']]) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.action = action;
    button.textContent = label;
    if (action === 'delete') button.className = 'danger';
    actions.append(button, ' ');
  }
  showJobState(row, job.state, job.progress);
  document.getElementById('no-jobs')?.remove();
}

if (form) {
  const zone = document.getElementById('dropzone');
  const picker = document.getElementById('files');
  picker.addEventListener('change', () => {
    for (const file of picker.files) upload(file);
    picker.value = '';
  });
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    for (const file of event.dataTransfer.files) upload(file);
  });
  form.addEventListener('submit', (event) => event.preventDefault());
}

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  const row = button?.closest('tr[data-job]');
  if (!button || !row) return;
  const id = row.dataset.job;
  const action = button.dataset.action;
  if (action === 'delete') {
    if (!window.confirm('Delete this job, its transcript and (if no other job uses it) its audio?')) return;
    const done = await act(button, () => api('DELETE', `/api/v1/jobs/${id}`), 'Job deleted');
    if (done !== undefined) {
      if (document.body.dataset.page === 'job') window.location.assign('/jobs');
      else row.remove();
    }
    return;
  }
  const job = await act(button, () => api('POST', `/api/v1/jobs/${id}/${action}`), action === 'cancel' ? 'Job cancelled' : 'Job queued again');
  if (job) showJobState(row, job.state, job.progress);
});

if (table) {
  followEvents(table.dataset.after, 'job.*', (type, data) => {
    const row = table.querySelector(`tr[data-job="${CSS.escape(data.job_id || '')}"]`);
    if (type === 'job.created' && !row) {
      api('GET', `/api/v1/jobs/${data.job_id}`).then(addRow).catch(() => {});
      return;
    }
    if (!row) return;
    if (type === 'job.deleted') { row.remove(); return; }
    if (data.state) showJobState(row, data.state, data.progress);
    const finished = ['job.succeeded', 'job.failed', 'job.cancelled'].includes(type);
    // The job page shows attempts, timings and events: re-read it when the job ends.
    if (finished && document.body.dataset.page === 'job') { window.location.reload(); return; }
    if (type === 'job.succeeded' && !row.querySelector('a[href^="/transcripts/"]')) {
      const link = document.createElement('a');
      link.href = `/transcripts/${data.job_id}`;
      link.textContent = 'transcript';
      row.cells[0].append(' · ', link);
    }
  });
}

// The job page's sharing section: its owner shares the job with a user, or stops.
const sharing = document.getElementById('sharing');
const shareForm = document.getElementById('share-form');
if (sharing && shareForm) {
  const jobId = sharing.dataset.job;
  shareForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const username = shareForm.elements.username.value.trim();
    const access = shareForm.elements.access.value;
    const share = await act(
      shareForm.querySelector('button[type="submit"]'),
      () => api('PUT', `/api/v1/jobs/${jobId}/shares/${encodeURIComponent(username)}`, { access }),
      `Shared with ${username} (${access})`,
    );
    if (share) window.location.reload();
  });
  sharing.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action="unshare"]');
    const row = button?.closest('tr[data-username]');
    if (!button || !row) return;
    const username = row.dataset.username;
    const done = await act(button, () => api('DELETE', `/api/v1/jobs/${jobId}/shares/${encodeURIComponent(username)}`), `No longer shared with ${username}`);
    if (done !== undefined) row.remove();
  });
}
