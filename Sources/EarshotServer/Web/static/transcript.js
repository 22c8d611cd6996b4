// Transcript page: the audio and the text move together; segments are edited in place.
import { api, toast } from './common.js';

const list = document.getElementById('segments');
const audio = document.getElementById('audio');
const jobId = list.dataset.job;
const segments = [...list.querySelectorAll('li.segment')];
let current = null;

function segmentAt(time) {
  // Segments are in time order: the last one starting at or before `time` that has not ended.
  let found = null;
  for (const item of segments) {
    if (Number(item.dataset.start) <= time) found = item; else break;
  }
  return found && time < Number(found.dataset.end) + 0.05 ? found : null;
}

function highlight() {
  const time = audio.currentTime;
  const item = segmentAt(time);
  if (item !== current) {
    current?.classList.remove('current');
    current?.removeAttribute('aria-current');
    current = item;
    if (item) {
      item.classList.add('current');
      item.setAttribute('aria-current', 'true');
      if (!audio.paused) item.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    }
  }
  for (const word of list.querySelectorAll('.word.current')) word.classList.remove('current');
  if (item) {
    for (const word of item.querySelectorAll('.word')) {
      if (Number(word.dataset.start) <= time && time < Number(word.dataset.end)) word.classList.add('current');
    }
  }
}

function seek(seconds, play) {
  if (!audio) return;
  audio.currentTime = seconds;
  highlight();
  if (play) audio.play().catch(() => { /* autoplay refused: the position is still set */ });
}

if (audio) {
  audio.addEventListener('timeupdate', highlight);
  audio.addEventListener('seeked', highlight);
  const startAt = Number(list.dataset.startAt);
  if (startAt > 0) {
    const apply = () => seek(startAt, false);
    if (audio.readyState >= 1) apply(); else audio.addEventListener('loadedmetadata', apply, { once: true });
  }
}

function startEditing(item) {
  if (item.querySelector('textarea')) return;
  const textSpan = item.querySelector('[data-text]');
  const editButton = item.querySelector('[data-edit]');
  const editor = document.createElement('div');
  editor.className = 'editor';
  const area = document.createElement('textarea');
  area.value = textSpan.textContent.trim();
  area.setAttribute('aria-label', `Text of segment ${item.dataset.index}`);
  const actions = document.createElement('div');
  actions.className = 'editor-actions';
  const save = document.createElement('button');
  save.type = 'button';
  save.textContent = 'Save';
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.className = 'danger';
  cancel.textContent = 'Cancel';
  actions.append(save, cancel);
  editor.append(area, actions);
  textSpan.hidden = true;
  editButton.hidden = true;
  textSpan.after(editor);
  area.focus();

  const close = () => {
    editor.remove();
    textSpan.hidden = false;
    editButton.hidden = false;
    editButton.focus();
  };
  cancel.addEventListener('click', close);
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') close();
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) save.click();
  });
  save.addEventListener('click', async () => {
    save.disabled = true;
    try {
      const revised = await api('PATCH', `/api/v1/transcripts/${jobId}/segments/${item.dataset.index}`, { text: area.value });
      textSpan.textContent = revised.text;
      const revision = item.querySelector('[data-revision]');
      revision.querySelector('[data-original]').textContent = revised.original_text.trim();
      revision.hidden = false;
      close();
      toast(`Segment ${Number(item.dataset.index) + 1} saved (revision ${revised.revisions.length})`);
    } catch (error) {
      toast(`Could not save: ${error.message}`, 'error');
      save.disabled = false;
    }
  });
}

list.addEventListener('click', (event) => {
  const time = event.target.closest('[data-seek]');
  if (time) { seek(Number(time.dataset.seek), true); return; }
  const word = event.target.closest('.word');
  if (word && !word.closest('.editor')) { seek(Number(word.dataset.start), true); return; }
  const edit = event.target.closest('[data-edit]');
  if (edit) startEditing(edit.closest('li.segment'));
});

// Speakers: tick boxes show or hide what each says; Rename names a speaker in every export.
const speakerPanel = document.getElementById('speakers');
if (speakerPanel) {
  speakerPanel.addEventListener('change', (event) => {
    const box = event.target.closest('input[data-filter]');
    if (!box) return;
    for (const item of list.querySelectorAll(`li.segment[data-speaker="${CSS.escape(box.dataset.filter)}"]`)) item.hidden = !box.checked;
  });
  speakerPanel.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-rename]');
    if (!button) return;
    const name = window.prompt(`Name for ${button.dataset.name} (empty: no name)`, button.dataset.name);
    if (name === null) return;
    button.disabled = true;
    try {
      await api('PATCH', `/api/v1/jobs/${jobId}/speakers/${button.dataset.rename}`, { name: name.trim() || null });
      window.location.reload();
    } catch (error) {
      toast(`Could not rename: ${error.message}`, 'error');
      button.disabled = false;
    }
  });
}
