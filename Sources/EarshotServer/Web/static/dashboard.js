// Dashboard: counts, throughput chart, running jobs and workers, all moved by the event stream.
import { api, followEvents, showJobState } from './common.js';

const queue = document.getElementById('queue');
const running = document.getElementById('running');
const runningEmpty = document.getElementById('running-empty');
const recent = document.getElementById('recent');

let statsPending = null;
/** Re-reads the counts and the chart after a burst of events (one request per burst). */
function refreshStats() {
  if (statsPending) return;
  statsPending = setTimeout(async () => {
    statsPending = null;
    try {
      const stats = await api('GET', '/api/v1/queue/stats');
      for (const state of ['queued', 'running', 'succeeded', 'failed', 'cancelled']) {
        const cell = queue.querySelector(`[data-count="${state}"]`);
        if (cell) cell.textContent = stats[state];
      }
      drawThroughput(stats.hourly_audio_seconds || []);
    } catch (error) {
      document.getElementById('live-status').textContent = `Could not refresh the counts: ${error.message}`;
    }
  }, 200);
}

function drawThroughput(seconds) {
  const chart = document.getElementById('throughput');
  const hours = seconds.map((s) => s / 3600);
  const max = Math.max(...hours, 1 / 60);
  const width = 480, height = 140, base = 120, barWidth = width / Math.max(hours.length, 1);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  hours.forEach((value, index) => {
    const rect = document.createElementNS(ns, 'rect');
    const h = Math.round((value / max) * (base - 10));
    rect.setAttribute('x', (index * barWidth + 1).toFixed(1));
    rect.setAttribute('y', String(base - h));
    rect.setAttribute('width', Math.max(barWidth - 2, 1).toFixed(1));
    rect.setAttribute('height', String(Math.max(h, value > 0 ? 1 : 0)));
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${hours.length - index} h ago: ${(value * 60).toFixed(1)} min of audio`;
    rect.append(title);
    svg.append(rect);
  });
  for (const [label, x] of [['24 h ago', 0], ['now', width - 20]]) {
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('x', String(x));
    text.setAttribute('y', String(height - 4));
    text.textContent = label;
    svg.append(text);
  }
  chart.replaceChildren(svg);
  const total = seconds.reduce((a, b) => a + b, 0);
  document.getElementById('tp-total').textContent = `${(total / 60).toFixed(1)} minutes of audio in 24 h.`;
}

function runningRow(id) {
  return running.querySelector(`li[data-job="${CSS.escape(id)}"]`);
}

async function addRunning(id, holder) {
  if (runningRow(id)) return;
  const item = document.createElement('li');
  item.dataset.job = id;
  const link = document.createElement('a');
  link.href = `/jobs/${id}`;
  link.textContent = id;
  const who = document.createElement('span');
  who.className = 'muted holder';
  who.textContent = holder || '';
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', 'Progress');
  const pct = document.createElement('span');
  pct.className = 'pct';
  pct.textContent = '0%';
  item.append(link, ' ', who, ' ', bar, ' ', pct);
  running.append(item);
  runningEmpty.hidden = true;
  try {
    const job = await api('GET', `/api/v1/jobs/${id}`);
    link.textContent = job.media.filename || id;
    bar.setAttribute('aria-label', `Progress of ${link.textContent}`);
  } catch { /* the name is cosmetic; the id stays */ }
}

function setProgress(id, progress) {
  const item = runningRow(id);
  if (!item || progress == null) return;
  item.querySelector('progress').value = progress;
  item.querySelector('.pct').textContent = `${Math.round(progress * 100)}%`;
}

function removeRunning(id) {
  runningRow(id)?.remove();
  runningEmpty.hidden = running.children.length > 0;
}

async function updateRecent(id, state) {
  let item = recent.querySelector(`li[data-job="${CSS.escape(id)}"]`);
  if (!item) {
    item = document.createElement('li');
    item.dataset.job = id;
    const link = document.createElement('a');
    link.href = `/jobs/${id}`;
    link.textContent = id;
    const badge = document.createElement('span');
    badge.dataset.state = '';
    item.append(link, ' ', badge);
    recent.prepend(item);
    while (recent.children.length > 10) recent.lastElementChild.remove();
    api('GET', `/api/v1/jobs/${id}`).then((job) => { link.textContent = job.media.filename || id; }).catch(() => {});
  }
  showJobState(item, state);
  if (state === 'succeeded' && !item.querySelector('a[href^="/transcripts/"]')) {
    const link = document.createElement('a');
    link.href = `/transcripts/${id}`;
    link.textContent = 'transcript';
    item.append(' ', link);
  }
}

function updateWorker(holder, jobId) {
  const row = document.querySelector(`#workers tr[data-holder="${CSS.escape(holder || '')}"]`);
  if (!row) return;
  const cell = row.querySelector('[data-current]');
  cell.replaceChildren();
  if (jobId) {
    const link = document.createElement('a');
    link.href = `/jobs/${jobId}`;
    link.textContent = jobId.slice(0, 8);
    cell.append(link);
  } else {
    cell.textContent = '—';
  }
  const badge = row.querySelector('[data-state]');
  if (badge && !['offline', 'disabled'].includes(badge.textContent)) {
    badge.textContent = jobId ? 'busy' : 'online';
    badge.className = `badge state-${badge.textContent}`;
  }
}

const holders = new Map();
followEvents(queue.dataset.after, 'job.*,node.*', (type, data) => {
  const id = data.job_id;
  switch (type) {
    case 'job.claimed':
      holders.set(id, data.holder);
      addRunning(id, data.holder);
      updateWorker(data.holder, id);
      break;
    case 'job.progress':
      addRunning(id, data.holder);
      setProgress(id, data.progress);
      break;
    case 'job.succeeded': case 'job.failed': case 'job.cancelled': case 'job.retried': case 'job.deleted': {
      removeRunning(id);
      updateWorker(holders.get(id) || data.holder, null);
      holders.delete(id);
      break;
    }
    default:
      break;
  }
  if (id && type !== 'job.progress' && type !== 'job.segment' && type !== 'job.deleted') updateRecent(id, data.state);
  if (type !== 'job.progress' && type !== 'job.segment') refreshStats();
}, document.getElementById('live-status'));
refreshStats();
