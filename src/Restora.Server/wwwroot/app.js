// Restora's page: no framework, no build step, nothing loaded from elsewhere. The server's JSON API does the work;
// this file draws the queue, the choices and the before/after view.
'use strict';
const $ = (id) => document.getElementById(id);
const state = { tasks: [], models: [], jobs: [], selected: null, failedUploads: [] };
const view = { zoom: 1, cx: 0, cy: 0, split: 0.5, side: false, fitted: true };

async function getJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error || `${response.status}`);
  return body;
}

// ---------- task, scale, model ----------

function currentTask() { return state.tasks.find((t) => t.name === $('task').value); }

function fillTasks() {
  $('task').innerHTML = '';
  for (const t of state.tasks) $('task').add(new Option(t.enlarges ? `upscale (${t.name})` : t.name, t.name));
  fillScales();
}

function fillScales() {
  const task = currentTask();
  $('scale-label').hidden = !task.enlarges;
  $('scale').innerHTML = '';
  for (const s of task.scales) $('scale').add(new Option(`x${s}`, s));
  if (task.enlarges) $('scale').value = task.scales.includes(4) ? 4 : task.scales[0];
  $('params').innerHTML = '';
  for (const p of task.parameters) {
    const label = document.createElement('label');
    label.title = p.description;
    label.append(p.name, Object.assign(document.createElement('input'),
      { type: 'number', name: p.name, min: p.min, max: p.max, step: 'any', placeholder: p.name === 'sigma' ? 'auto' : String(p.default) }));
    $('params').append(label);
  }
  fillModels();
}

function fillModels() {
  const task = currentTask();
  const scale = Number($('scale').value);
  const chosen = $('model').value;
  const list = state.models.filter((m) => m.task === task.name && (!task.enlarges || m.scale === scale));
  // Installed ones first: they run now; the others need a download.
  list.sort((a, b) => (b.installed - a.installed) || a.name.localeCompare(b.name));
  $('model').innerHTML = '';
  for (const m of list) $('model').add(new Option(`${m.name}${m.installed ? '' : ' (not installed)'}`, m.name));
  if (list.some((m) => m.name === chosen)) $('model').value = chosen;
  else if (list.some((m) => m.name === task.default_model && m.installed)) $('model').value = task.default_model;
  showModel();
}

function currentModel() { return state.models.find((m) => m.name === $('model').value); }

function showModel() {
  const m = currentModel();
  if (!m) { $('model-text').textContent = 'no model for this choice'; $('pull').hidden = true; return; }
  let status = m.installed ? 'installed' : 'not installed';
  if (m.pulling) status = `installing: ${m.pull_message}`;
  else if (m.pull_error) status = `install failed: ${m.pull_error}`;
  $('model-text').textContent = `${m.description} · licence ${m.license} · ${m.source} · ${status}`;
  $('pull').hidden = m.installed || m.pulling;
}

async function refreshModels() {
  state.models = (await getJson('/api/models')).models;
  fillModels();
  // An install in progress: look again until it ends.
  if (state.models.some((m) => m.pulling)) setTimeout(refreshModels, 1000);
}

$('task').addEventListener('change', fillScales);
$('scale').addEventListener('change', fillModels);
$('model').addEventListener('change', showModel);
$('pull').addEventListener('click', async () => {
  try { await getJson(`/api/models/${encodeURIComponent($('model').value)}/pull`, { method: 'POST' }); } catch (e) { say(e.message); }
  refreshModels();
});

// ---------- uploads ----------

function say(text) { $('message').textContent = text; }

async function upload(files) {
  say('');
  for (const file of files) {
    const form = new FormData();
    form.append('file', file, file.name);
    form.append('task', $('task').value);
    if (currentTask().enlarges) form.append('scale', $('scale').value);
    if ($('model').value) form.append('model', $('model').value);
    for (const input of $('params').querySelectorAll('input')) if (input.value !== '') form.append(input.name, input.value);
    try {
      const job = await getJson('/api/jobs', { method: 'POST', body: form });
      if (!state.selected) select(job.id);
      mergeJob(job);
    } catch (e) {
      say(e.message);
      state.failedUploads.push({ name: file.name, error: e.message });
      renderQueue();
    }
  }
}

// A folder's files other than images (notes, sidecars, .DS_Store) are skipped here with a note, not sent to be refused
// one by one; the extensions are the picker's own accept list. Files chosen or dropped one by one are all sent: the
// server's message says what is wrong with a file that is not an image.
const imageExtensions = $('files').accept.split(',').filter((a) => a.startsWith('.'));
function isImageName(name) { const n = name.toLowerCase(); return imageExtensions.some((x) => n.endsWith(x)); }

// Splits a folder's [{file, path}] into images to queue and the paths of the others.
function splitImages(found) {
  const images = [], skipped = [];
  for (const f of found) { if (isImageName(f.file.name)) images.push(f.file); else skipped.push(f.path); }
  return { images, skipped };
}

// Every file under a dropped FileSystemEntry, depth first, as {file, path}. readEntries gives a batch at a time
// (Chromium: 100 entries), so a directory is read until it answers an empty batch.
async function readTree(entry, into) {
  if (entry.isFile) {
    into.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), path: entry.fullPath.replace(/^\//, '') });
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await readTree(child, into);
    }
  }
  return into;
}

function note(text) { $('note').textContent = text; }

// Queues loose files as they are and the images among a folder's files, noting what was skipped.
function queueFound(loose, found) {
  const { images, skipped } = splitImages(found);
  const shown = skipped.slice(0, 5).join(', ') + (skipped.length > 5 ? `, and ${skipped.length - 5} more` : '');
  if (found.length > 0 && images.length === 0) note(`No images in the folder (skipped ${skipped.length}: ${shown}).`);
  else if (skipped.length > 0) note(`Queued ${images.length} image${images.length === 1 ? '' : 's'} from the folder; skipped ${skipped.length} not an image: ${shown}.`);
  else note('');
  upload([...loose, ...images]);
}

$('files').addEventListener('change', () => { note(''); upload([...$('files').files]); $('files').value = ''; });
$('folder').addEventListener('change', () => {
  queueFound([], [...$('folder').files].map((file) => ({ file, path: file.webkitRelativePath || file.name })));
  $('folder').value = '';
});

// A drop's entries must be taken before the handler returns (the browser empties the DataTransfer after it);
// folders are then read at leisure.
async function queueDropped(dropped) {
  const loose = [], found = [];
  try {
    for (const d of dropped) {
      if (d.entry?.isDirectory) await readTree(d.entry, found);
      else if (d.file) loose.push(d.file);
    }
  } catch (e) { say(`could not read the dropped folder: ${e.message || e.name}`); }
  queueFound(loose, found);
}

const drop = $('drop');
for (const target of [drop, $('stage')]) {
  target.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  target.addEventListener('dragleave', () => drop.classList.remove('over'));
  target.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const items = [...(e.dataTransfer.items || [])].filter((i) => i.kind === 'file');
    if (items.length === 0) { note(''); upload([...e.dataTransfer.files]); return; }
    queueDropped(items.map((i) => ({ entry: i.webkitGetAsEntry?.(), file: i.getAsFile() })));
  });
}

// ---------- the queue ----------

function mergeJob(job) {
  // The answer to an upload can arrive after the event stream has told more: keep the newer.
  const i = state.jobs.findIndex((j) => j.id === job.id);
  if (i >= 0 && state.jobs[i].version >= job.version) return;
  if (i >= 0) state.jobs[i] = job; else state.jobs.push(job);
  renderQueue();
  if (job.id === state.selected) showJob();
}

function eta(seconds) {
  if (seconds == null) return '';
  return seconds < 60 ? `${Math.ceil(seconds)} s left` : `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s left`;
}

function renderQueue() {
  const list = $('queue');
  const focused = document.activeElement?.closest('li')?.dataset.id;
  list.innerHTML = '';
  for (const job of state.jobs) {
    const li = document.createElement('li');
    li.dataset.id = job.id;
    li.className = `state-${job.state}${job.id === state.selected ? ' selected' : ''}`;
    const pick = Object.assign(document.createElement('button'), { className: 'pick', type: 'button' });
    pick.setAttribute('aria-current', job.id === state.selected ? 'true' : 'false');
    pick.textContent = job.name;
    pick.addEventListener('click', () => select(job.id));
    const row = document.createElement('div');
    row.className = 'row';
    const tiles = job.tiles_total > 0 ? ` · tiles ${job.tiles_done}/${job.tiles_total}` : '';
    row.innerHTML = '<span class="state"></span><span class="eta"></span>';
    row.querySelector('.state').textContent = `${job.state} ${Math.round(job.progress * 100)}%${tiles}`;
    row.querySelector('.eta').textContent = job.state === 'running' ? eta(job.eta_seconds) : job.state === 'done' ? `${job.seconds.toFixed(1)} s` : '';
    if (job.state === 'queued' || job.state === 'running') {
      const cancel = Object.assign(document.createElement('button'), { className: 'cancel', type: 'button', textContent: 'Cancel' });
      cancel.setAttribute('aria-label', `Cancel ${job.name}`);
      cancel.addEventListener('click', () => fetch(`/api/jobs/${job.id}`, { method: 'DELETE' }));
      row.append(cancel);
    }
    const bar = Object.assign(document.createElement('progress'), { max: 1, value: job.progress });
    bar.setAttribute('aria-label', `${job.name} progress`);
    li.append(pick, row, bar);
    if (job.error) li.append(Object.assign(document.createElement('div'), { className: 'error', textContent: job.error }));
    list.append(li);
    if (job.id === focused) pick.focus();
  }
  for (const f of state.failedUploads) {
    const li = document.createElement('li');
    li.className = 'state-failed';
    li.innerHTML = '<div class="row"><span class="state"></span></div><div class="error"></div>';
    li.querySelector('.state').textContent = `${f.name}: refused`;
    li.querySelector('.error').textContent = f.error;
    list.append(li);
  }
}

function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('jobs', (e) => {
    const jobs = JSON.parse(e.data).jobs;
    state.jobs = jobs;
    renderQueue();
    if (state.selected) showJob();
  });
}

// ---------- the view ----------

const panes = () => (view.side ? [$('pane-a'), $('pane-b')] : [$('pane-a')]);
const selectedJob = () => state.jobs.find((j) => j.id === state.selected);
let shown = { id: null, state: null };

function select(id) {
  state.selected = id;
  view.fitted = true;
  renderQueue();
  showJob();
}

function outputSize(job) {
  return job.state === 'done' ? [job.width, job.height] : [job.input_width * job.scale, job.input_height * job.scale];
}

function showJob() {
  const job = selectedJob();
  $('empty').hidden = !!job;
  if (!job) return;
  if (shown.id !== job.id || shown.state !== job.state) {
    shown = { id: job.id, state: job.state };
    for (const img of document.querySelectorAll('.before .base')) img.src = job.input_preview_url;
    for (const img of document.querySelectorAll('.after .base')) {
      if (job.state === 'done') img.src = job.result_preview_url; else img.removeAttribute('src');
    }
    for (const img of document.querySelectorAll('.tile')) { img.removeAttribute('src'); img.dataset.key = ''; }
    $('download').hidden = job.state !== 'done';
    if (job.state === 'done') { $('download').href = job.result_url; $('download').setAttribute('download', job.file); }
    showMetrics(job);
    if (view.fitted) fit();
  }
  draw();
}

function showMetrics(job) {
  const rows = [['file', job.name], ['task', `${job.task}${job.scale > 1 ? ` x${job.scale}` : ''}`], ['model', job.model || '–'],
    ['size', job.state === 'done' ? `${job.input_width}×${job.input_height} → ${job.width}×${job.height}` : `${job.input_width}×${job.input_height}`]];
  if (job.state === 'done') {
    rows.push(['time taken', `${job.seconds.toFixed(2)} s`]);
    rows.push(['NIQE (lower is better)', job.niqe != null ? `${job.input_niqe != null ? job.input_niqe.toFixed(2) + ' → ' : ''}${job.niqe.toFixed(2)}` : 'not scored']);
    // Against the input, not a clean original: how much the restore changed the image (higher is less change).
    const sameSize = job.width === job.input_width && job.height === job.input_height;
    const psnr = !sameSize ? 'n/a (sizes differ)' : !('psnr' in job) ? 'not scored' : job.psnr === null ? '∞ (identical)' : `${job.psnr.toFixed(2)} dB`;
    const ssim = !sameSize ? 'n/a (sizes differ)' : job.ssim != null ? job.ssim.toFixed(4) : 'not scored';
    rows.push(['PSNR vs input', psnr], ['SSIM vs input', ssim]);
    rows.push(['saved as', job.file]);
  }
  $('metrics').innerHTML = '';
  for (const [k, v] of rows) {
    const div = document.createElement('div');
    div.append(Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v }));
    $('metrics').append(div);
  }
}

function paneSize() { const p = $('pane-a'); return [p.clientWidth, p.clientHeight]; }

function fit() {
  const job = selectedJob();
  if (!job) return;
  const [w, h] = outputSize(job);
  const [pw, ph] = paneSize();
  view.zoom = Math.min(pw / w, ph / h, 8);
  view.cx = w / 2; view.cy = h / 2;
  view.fitted = true;
  draw();
}

function setZoom(zoom, anchorX, anchorY) {
  const job = selectedJob();
  if (!job) return;
  const [pw, ph] = paneSize();
  const [w, h] = outputSize(job);
  const min = Math.min(pw / w, ph / h, 1) / 2;
  zoom = Math.min(8, Math.max(min, zoom));
  // Keep the image point under the anchor (the pointer, or the centre) where it is.
  const ax = anchorX ?? pw / 2, ay = anchorY ?? ph / 2;
  const px = view.cx + (ax - pw / 2) / view.zoom, py = view.cy + (ay - ph / 2) / view.zoom;
  view.cx = px - (ax - pw / 2) / zoom; view.cy = py - (ay - ph / 2) / zoom;
  view.zoom = zoom;
  view.fitted = false;
  draw();
}

function draw() {
  const job = selectedJob();
  $('pane-b').hidden = !view.side;
  $('mode').textContent = view.side ? 'Slider' : 'Side by side';
  $('mode').setAttribute('aria-pressed', String(view.side));
  $('pane-a').querySelector('.after').hidden = view.side;
  $('pane-a').querySelector('.divider').hidden = view.side;
  $('pane-a').querySelector('.tag-after').hidden = view.side;
  $('split').disabled = view.side;
  $('zoom-level').textContent = `${Math.round(view.zoom * 100)}%`;
  if (!job) return;
  const [w, h] = outputSize(job);
  const [pw, ph] = paneSize();
  const left = pw / 2 - view.cx * view.zoom, top = ph / 2 - view.cy * view.zoom;
  for (const pane of panes()) {
    for (const base of pane.querySelectorAll('.base')) place(base, left, top, w * view.zoom, h * view.zoom);
    for (const tile of pane.querySelectorAll('.tile')) {
      if (!tile.dataset.rect) continue;
      const [x, y, tw, th] = tile.dataset.rect.split(',').map(Number);
      place(tile, left + x * view.zoom, top + y * view.zoom, tw * view.zoom, th * view.zoom);
    }
  }
  const splitX = view.split * pw;
  $('pane-a').querySelector('.after').style.clipPath = `inset(0 0 0 ${splitX}px)`;
  $('pane-a').querySelector('.divider').style.left = `${splitX}px`;
  scheduleTiles();
}

function place(img, x, y, w, h) {
  img.style.left = `${x}px`; img.style.top = `${y}px`; img.style.width = `${w}px`; img.style.height = `${h}px`;
}

// At high zoom the preview (at most 2048 px) is coarser than the screen: fetch the visible part at 1:1.
let tileTimer = 0;
function scheduleTiles() { clearTimeout(tileTimer); tileTimer = setTimeout(loadTiles, 120); }

function loadTiles() {
  const job = selectedJob();
  if (!job) return;
  const [w, h] = outputSize(job);
  const [pw, ph] = paneSize();
  const x0 = Math.max(0, Math.floor(view.cx - pw / 2 / view.zoom)), y0 = Math.max(0, Math.floor(view.cy - ph / 2 / view.zoom));
  const x1 = Math.min(w, Math.ceil(view.cx + pw / 2 / view.zoom)), y1 = Math.min(h, Math.ceil(view.cy + ph / 2 / view.zoom));
  for (const which of ['input', 'result']) {
    if (which === 'result' && job.state !== 'done') continue;
    const base = document.querySelector(which === 'input' ? '.before .base' : '.after .base');
    const s = which === 'input' ? job.scale : 1;
    const full = which === 'input' ? job.input_width : w;
    const needed = base.naturalWidth > 0 && view.zoom * w > base.naturalWidth * 1.01 && x1 > x0 && y1 > y0;
    // In the image's own pixels (the input is 1/scale of the output).
    const rx = Math.floor(x0 / s), ry = Math.floor(y0 / s), rw = Math.ceil(x1 / s) - rx, rh = Math.ceil(y1 / s) - ry;
    const tiles = document.querySelectorAll(which === 'input' ? '.before .tile' : '.after .tile');
    if (!needed || rw > 2048 || rh > 2048 || full === base.naturalWidth) {
      for (const t of tiles) { t.removeAttribute('src'); t.dataset.rect = ''; t.dataset.key = ''; }
      continue;
    }
    const key = `${job.id}/${which}/${rx},${ry},${rw},${rh}`;
    for (const t of tiles) {
      if (t.dataset.key === key) continue;
      t.dataset.key = key;
      const probe = new Image();
      probe.onload = () => {
        if (t.dataset.key !== key) return;
        t.src = probe.src;
        t.dataset.rect = [rx * s, ry * s, rw * s, rh * s].join(',');
        draw();
      };
      probe.src = `/api/jobs/${job.id}/region/${which}?x=${rx}&y=${ry}&w=${rw}&h=${rh}`;
    }
  }
}

// Zoom and pan with the wheel, the pointer, the buttons and the keyboard; the slider with its divider or the range.
const stage = $('stage');
stage.addEventListener('wheel', (e) => {
  e.preventDefault();
  const pane = e.target.closest('.pane') || $('pane-a');
  const r = pane.getBoundingClientRect();
  setZoom(view.zoom * Math.pow(1.0015, -e.deltaY), e.clientX - r.left, e.clientY - r.top);
}, { passive: false });

let drag = null;
stage.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  const onDivider = e.target.classList.contains('divider');
  drag = { x: e.clientX, y: e.clientY, cx: view.cx, cy: view.cy, divider: onDivider };
  stage.setPointerCapture(e.pointerId);
  stage.classList.add('dragging');
});
stage.addEventListener('pointermove', (e) => {
  if (!drag) return;
  if (drag.divider) {
    const r = $('pane-a').getBoundingClientRect();
    setSplit((e.clientX - r.left) / r.width);
  } else {
    view.cx = drag.cx - (e.clientX - drag.x) / view.zoom;
    view.cy = drag.cy - (e.clientY - drag.y) / view.zoom;
    view.fitted = false;
    draw();
  }
});
stage.addEventListener('pointerup', () => { drag = null; stage.classList.remove('dragging'); });

function setSplit(fraction) {
  view.split = Math.min(1, Math.max(0, fraction));
  $('split').value = Math.round(view.split * 100);
  draw();
}
$('split').addEventListener('input', () => setSplit($('split').value / 100));

stage.addEventListener('keydown', (e) => {
  const step = 60 / view.zoom;
  const keys = {
    ArrowLeft: () => { view.cx -= step; }, ArrowRight: () => { view.cx += step; },
    ArrowUp: () => { view.cy -= step; }, ArrowDown: () => { view.cy += step; },
    '+': () => setZoom(view.zoom * 1.25), '=': () => setZoom(view.zoom * 1.25), '-': () => setZoom(view.zoom / 1.25),
    0: fit, 1: () => setZoom(1), s: () => { view.side = !view.side; },
    '[': () => setSplit(view.split - 0.05), ']': () => setSplit(view.split + 0.05),
  };
  if (!keys[e.key]) return;
  e.preventDefault();
  keys[e.key]();
  view.fitted = false;
  draw();
});
$('zoom-in').addEventListener('click', () => setZoom(view.zoom * 1.25));
$('zoom-out').addEventListener('click', () => setZoom(view.zoom / 1.25));
$('fit').addEventListener('click', fit);
$('actual').addEventListener('click', () => setZoom(1));
$('mode').addEventListener('click', () => { view.side = !view.side; draw(); if (view.fitted) fit(); });
window.addEventListener('resize', () => (view.fitted ? fit() : draw()));
for (const img of document.querySelectorAll('.base')) img.addEventListener('load', scheduleTiles);

// ---------- start ----------

(async () => {
  try {
    state.tasks = (await getJson('/api/tasks')).tasks;
    state.models = (await getJson('/api/models')).models;
    fillTasks();
    state.jobs = (await getJson('/api/jobs')).jobs;
    renderQueue();
    listen();
    document.body.dataset.ready = 'true';
  } catch (e) { say(`could not reach the server: ${e.message}`); }
})();
