// Live page: stream sources (add, start, stop, delete, state as it changes) and drafts as they come.
import { api, act, toast, followEvents } from './common.js';

const streams = document.getElementById('streams');
const drafts = document.getElementById('drafts');
const status = document.getElementById('live-status');
const session = drafts.dataset.session;

const addForm = document.getElementById('add-stream');
addForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const button = addForm.querySelector('button[type="submit"]');
  const body = { name: addForm.elements.name.value.trim(), url: addForm.elements.url.value.trim() };
  if (addForm.elements.diarize?.checked) body.diarize = true;
  const created = await act(button, () => api('POST', '/api/v1/streams', body), `Stream ${body.name} added`);
  if (created) window.location.reload();
});

function showStream(row, stream) {
  const badge = row.querySelector('[data-state]');
  badge.textContent = stream.state;
  badge.className = `badge state-${stream.state}`;
  if (stream.restarts !== undefined) row.querySelector('[data-restarts]').textContent = `${stream.restarts} · ${stream.stalls ?? 0} stalled`;
  if (stream.message || stream.last_error) row.querySelector('[data-error]').textContent = stream.message || stream.last_error;
  if (stream.enabled !== undefined) {
    row.querySelector('[data-action="start"]').hidden = stream.enabled;
    row.querySelector('[data-action="stop"]').hidden = !stream.enabled;
  }
}

streams.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-action]');
  const row = button?.closest('tr[data-stream]');
  if (!button || !row) return;
  const { stream: id, name } = row.dataset;
  const action = button.dataset.action;
  if (action === 'delete') {
    if (!window.confirm(`Delete stream ${name}? Its drafts stay.`)) return;
    if (await act(button, () => api('DELETE', `/api/v1/streams/${id}`), `${name} deleted`) !== undefined) row.remove();
    return;
  }
  const stream = await act(button, () => api('POST', `/api/v1/streams/${id}/${action}`), `${name}: ${action === 'stop' ? 'stopped' : 'starting'}`);
  if (stream) showStream(row, stream);
});

function draftRow(id) {
  let row = drafts.querySelector(`tr[data-draft="${id}"]`);
  if (row) return row;
  row = document.createElement('tr');
  row.dataset.draft = id;
  const when = document.createElement('td');
  when.textContent = new Date().toLocaleTimeString();
  const sessionCell = document.createElement('td');
  const speaker = document.createElement('td');
  speaker.dataset.speaker = '';
  const text = document.createElement('td');
  const link = document.createElement('a');
  link.href = `/drafts/${id}`;
  link.dataset.text = '';
  link.textContent = '…';
  text.append(link);
  const state = document.createElement('td');
  state.innerHTML = '<span class="badge state-open" data-state>open</span>';
  row.append(when, sessionCell, speaker, text, state);
  drafts.tBodies[0].prepend(row);
  document.getElementById('no-drafts')?.remove();
  return row;
}

followEvents(streams.dataset.latestSeq, 'draft.*,stream.*', (type, data) => {
  if (type === 'stream.state_changed') {
    const row = streams.querySelector(`tr[data-stream="${data.stream_id}"]`);
    if (row) showStream(row, data);
    return;
  }
  if (session && data.session_id && data.session_id !== session) return;
  const row = type === 'draft.started' ? draftRow(data.draft_id) : drafts.querySelector(`tr[data-draft="${data.draft_id}"]`);
  if (!row) return;
  if (type === 'draft.started') row.children[1].textContent = data.session_id || '';
  if (type === 'draft.ended' || type === 'draft.revised') {
    row.querySelector('[data-text]').textContent = data.text || '…';
    if (data.speaker) row.querySelector('[data-speaker]').textContent = data.speaker;
    const badge = row.querySelector('[data-state]');
    badge.textContent = 'ended';
    badge.className = 'badge state-ended';
  }
  if (type === 'draft.speaker_changed') row.querySelector('[data-speaker]').textContent = data.speaker || '';
  if (type === 'draft.suggested' && !row.querySelector('[data-suggested]')) {
    row.lastElementChild.insertAdjacentHTML('beforeend', ' <span class="badge state-queued" data-suggested>suggestion</span>');
  }
}, status);

if (new URLSearchParams(window.location.search).has('added')) toast('Stream added');
