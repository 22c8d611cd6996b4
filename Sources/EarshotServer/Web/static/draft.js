// Draft page: correct the text (a human revision); approve some or all of an LLM's suggested
// changes, or dismiss them. The page follows the draft's events, so a suggestion or a better
// model's revision appears without a reload.
import { api, act, toast, followEvents } from './common.js';

const box = document.getElementById('draft');
const id = box.dataset.draft;

document.getElementById('edit-draft').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const text = form.elements.text.value.trim();
  if (!text) { toast('The text is empty', 'error'); return; }
  const draft = await act(form.querySelector('button'), () => api('PATCH', `/api/v1/drafts/${id}`, { text }), 'Correction saved');
  if (draft) window.location.reload();
});

for (const section of document.querySelectorAll('[data-suggestion]')) {
  section.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const number = section.dataset.suggestion;
    const base = `/api/v1/drafts/${id}/suggestions/${number}`;
    let request;
    if (button.dataset.action === 'dismiss') {
      request = () => api('POST', `${base}/dismiss`, {});
    } else if (button.dataset.action === 'apply-all') {
      request = () => api('POST', `${base}/approve`, {});
    } else {
      const changes = [...section.querySelectorAll('input[data-change]:checked')].map((box) => Number(box.dataset.change));
      if (!changes.length) { toast('Tick at least one change, or dismiss the suggestion', 'error'); return; }
      request = () => api('POST', `${base}/approve`, { changes });
    }
    const draft = await act(button, request, button.dataset.action === 'dismiss' ? 'Suggestion dismissed' : 'Changes applied');
    if (draft) window.location.reload();
  });
}

// A new suggestion or revision of this draft: show it (unless a correction is being typed).
const editing = () => document.activeElement?.id === 'edit-text';
followEvents(box.dataset.latestSeq, 'draft.*', (type, data) => {
  if (data.draft_id === id && (type === 'draft.suggested' || type === 'draft.revised' || type === 'draft.ended' || type === 'draft.speaker_changed') && !editing()) {
    window.location.reload();
  }
});
