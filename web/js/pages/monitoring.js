// Monitoring: health of each service (/api/health), live charts of CPU, memory, runs per second
// and run latency (history from /api/system/metrics/history, then one sample a second from the
// SSE stream /api/metrics/stream; runs and latency from /api/stats over the last minute), and
// per-user usage (/api/stats). All of it is nox-metrics: a 404 means it is not installed, which
// the page says in words instead of failing.

import * as api from '../api.js';
import { streamEvents } from '../sse.js';
import { add, h, pageHeading, messageArea, statusBadge, formatBytes, formatMs, table } from '../ui.js';
import { LiveChart } from '../charts.js';

const WINDOW_S = 15 * 60;
const STATS_EVERY_MS = 5000;
const NOT_INSTALLED = 'The metrics service (nox-metrics) is not installed on this server, so health, live charts and usage statistics are not available. Ask the administrator to install it.';

/** Seconds since the epoch and the host's figures from a snapshot or a history point. */
export function sampleOf(point) {
  const time = typeof point.t === 'number' ? point.t : Date.parse(point.time) / 1000;
  const cpu = point.cpu_percent ?? (point.cpu && point.cpu.usage_percent);
  const memory = point.memory_used_bytes ?? (point.memory && point.memory.used_bytes);
  return { time, cpu: typeof cpu === 'number' ? cpu : null, memory: typeof memory === 'number' ? memory : null };
}

export async function render(main, ctx) {
  const area = messageArea();
  const healthBox = h('div', { class: 'row g-2 mb-3', id: 'health', 'aria-live': 'polite' });
  const charts = {
    cpu: new LiveChart('CPU', '%', WINDOW_S, { max: 100 }),
    memory: new LiveChart('Memory used', 'MiB', WINDOW_S),
    runs: new LiveChart('Runs per second', 'runs/s', WINDOW_S),
    latency: new LiveChart('Run duration p50 / p95', 'ms', WINDOW_S, { series: ['p50', 'p95'] }),
  };
  const chartGrid = h('div', { class: 'row g-3 mb-3', id: 'charts' },
    Object.values(charts).map((chart) => h('div', { class: 'col-md-6' }, chart.el)));
  const statsBox = h('div', { id: 'usage' });
  const liveNote = h('p', { class: 'small text-muted', id: 'live-note', 'aria-live': 'polite' }, 'Connecting to the live stream…');

  const sections = h('div', {},
    h('h2', { class: 'h5' }, 'Services'), healthBox,
    h('h2', { class: 'h5' }, 'Live'), liveNote, chartGrid,
    h('h2', { class: 'h5' }, 'Usage'), statsBox);
  add(main, pageHeading('Monitoring'), area.el, sections);

  const controller = new AbortController();
  let statsTimer = null;
  let missing = false;

  function notInstalled() {
    if (missing) return;
    missing = true;
    area.info(NOT_INSTALLED, 'warning');
    sections.hidden = true;
  }

  function handle(err) {
    if (err && err.name === 'AbortError') return;
    if (err && err.status === 404) notInstalled();
    else if (err && err.status === 403) liveNote.textContent = `Not shown: ${err.message}`;
    else area.error(err);
  }

  async function loadHealth() {
    const health = await api.publicGet('/api/health');
    const services = Object.entries(health.services || {});
    healthBox.replaceChildren(
      h('div', { class: 'col-12' }, h('p', { class: 'mb-1' }, 'Overall: ', statusBadge(health.status))),
      ...services.map(([name, info]) => h('div', { class: 'col-6 col-md-3' },
        h('div', { class: 'card card-body py-2 health-card', dataset: { service: name } },
          h('div', { class: 'd-flex align-items-center gap-2' }, h('strong', { class: 'me-auto' }, name), statusBadge(info.status)),
          h('div', { class: 'small text-muted' }, info.version ? `version ${info.version}` : ''),
          info.reason ? h('div', { class: 'small' }, info.reason) : null))));
  }

  function addSample(point) {
    const sample = sampleOf(point);
    if (!Number.isFinite(sample.time)) return;
    if (sample.cpu !== null) charts.cpu.push(sample.time, [sample.cpu]);
    if (sample.memory !== null) charts.memory.push(sample.time, [sample.memory / 1048576]);
  }

  async function loadHistory() {
    const body = await api.get('/api/system/metrics/history', { query: { range: '15m' }, signal: controller.signal });
    const points = Array.isArray(body) ? body : body.items || body.points || [];
    points.forEach(addSample);
    Object.values(charts).forEach((chart) => chart.draw());
  }

  async function live() {
    liveNote.textContent = 'Live: one sample a second.';
    for await (const event of streamEvents('/api/metrics/stream', controller.signal)) {
      if (event.event !== 'metrics') continue;
      addSample(JSON.parse(event.data));
      charts.cpu.draw();
      charts.memory.draw();
    }
    liveNote.textContent = 'The live stream ended; reload the page to reconnect.';
  }

  async function loadStats() {
    const now = Date.now();
    const since = new Date(now - 60_000).toISOString();
    const [recent, overall] = await Promise.all([
      api.get('/api/stats', { query: { since }, signal: controller.signal }),
      api.get('/api/stats', { signal: controller.signal }),
    ]);
    const t = now / 1000;
    charts.runs.push(t, [((recent.runs && recent.runs.total) || 0) / 60]);
    const d = recent.duration_ms || {};
    charts.latency.push(t, [d.p50 ?? null, d.p95 ?? null]);
    charts.runs.draw();
    charts.latency.draw();
    renderStats(overall);
  }

  function renderStats(stats) {
    const runs = stats.runs || {};
    const byStatus = Object.entries(runs.by_status || {});
    const byLanguage = Object.entries(runs.by_language || {});
    const d = stats.duration_ms || {};
    const users = Object.entries(stats.users || {}).sort((a, b) => a[0].localeCompare(b[0]));
    statsBox.replaceChildren(
      h('p', {}, `${runs.total ?? 0} runs${stats.since ? ` since ${new Date(stats.since).toLocaleString()}` : ''}; duration p50 ${formatMs(d.p50)}, p95 ${formatMs(d.p95)}, p99 ${formatMs(d.p99)}; storage ${formatBytes(stats.storage_bytes)}.`),
      h('div', { class: 'row g-3' },
        h('div', { class: 'col-md-6 col-xl-3' }, table('Runs by status', ['Status', ['Runs', 'text-end']],
          byStatus.map(([k, v]) => h('tr', {}, h('td', {}, statusBadge(k)), h('td', { class: 'text-end' }, String(v)))))),
        h('div', { class: 'col-md-6 col-xl-3' }, table('Runs by language', ['Language', ['Runs', 'text-end']],
          byLanguage.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'text-end' }, String(v)))))),
        h('div', { class: 'col-xl-6' }, table('Usage per user', ['User', ['Runs', 'text-end'], ['Storage', 'text-end']],
          users.map(([name, u]) => h('tr', {}, h('td', {}, name), h('td', { class: 'text-end' }, String(u.runs ?? 0)), h('td', { class: 'text-end' }, formatBytes(u.storage_bytes))))))));
  }

  try {
    await loadHealth();
  } catch (err) {
    handle(err);
  }
  if (missing) return () => controller.abort();
  const canRead = (ctx.me.permissions || []).includes('metrics:read');
  if (!canRead) {
    liveNote.textContent = 'Live charts need the metrics:read permission, which your role does not have.';
    chartGrid.hidden = true;
  } else {
    loadHistory().catch(handle).finally(() => {
      if (!missing && !controller.signal.aborted) live().catch(handle);
    });
  }
  const tick = () => loadStats().catch((err) => {
    handle(err);
    clearInterval(statsTimer);
  });
  tick();
  statsTimer = setInterval(tick, STATS_EVERY_MS);
  return () => {
    controller.abort();
    clearInterval(statsTimer);
    Object.values(charts).forEach((chart) => chart.destroy());
  };
}
