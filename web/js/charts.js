// A rolling line chart over Debian's Chart.js 3 (window.Chart, loaded by index.html). The x axis
// is linear seconds since the epoch (Chart.js's time scale would need a date adapter, which
// Debian does not package), labelled as wall-clock times.

import { h, uid } from './ui.js';

const COLORS = ['#0d6efd', '#d63384', '#198754', '#fd7e14'];

export class LiveChart {
  constructor(title, unit, windowSeconds, { max = undefined, series = null } = {}) {
    this.windowSeconds = windowSeconds;
    this.names = series || [title];
    this.points = this.names.map(() => []);
    const titleId = uid('chart');
    this.canvas = h('canvas', { role: 'img', 'aria-labelledby': titleId });
    this.latest = h('span', { class: 'small text-muted' }, 'no data yet');
    this.el = h('figure', { class: 'card card-body mb-0 chart-card' },
      h('figcaption', { class: 'd-flex gap-2 align-items-baseline mb-1' },
        h('span', { class: 'fw-semibold me-auto', id: titleId }, `${title} (${unit})`), this.latest),
      h('div', { class: 'chart-box' }, this.canvas));
    this.unit = unit;
    this.max = max;
    this.chart = null;
  }

  ensureChart() {
    if (this.chart || !window.Chart) return;
    this.chart = new window.Chart(this.canvas, {
      type: 'line',
      data: {
        datasets: this.names.map((name, i) => ({
          label: name,
          data: this.points[i],
          borderColor: COLORS[i % COLORS.length],
          backgroundColor: COLORS[i % COLORS.length],
          borderWidth: 1.5,
          // Dots only while a series has too few samples to draw a line.
          pointRadius: (c) => (c.dataset.data.length < 3 ? 3 : 0),
          tension: 0.2,
          spanGaps: true,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        plugins: {
          legend: { display: this.names.length > 1 },
          tooltip: { callbacks: { title: (items) => (items[0] ? new Date(items[0].parsed.x * 1000).toLocaleTimeString() : '') } },
        },
        scales: {
          x: { type: 'linear', ticks: { maxTicksLimit: 6, callback: (value) => new Date(value * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) } },
          y: { beginAtZero: true, suggestedMax: this.max },
        },
      },
    });
  }

  /** Adds one sample per series (null leaves a gap) at `time` (seconds), dropping old ones. */
  push(time, values) {
    values.forEach((value, i) => {
      if (i >= this.points.length) return;
      const list = this.points[i];
      if (list.length && list[list.length - 1].x >= time) return;
      list.push({ x: time, y: value });
      while (list.length && list[0].x < time - this.windowSeconds) list.shift();
    });
    const shown = values.map((v) => (v === null || v === undefined ? '—' : v.toFixed(v < 10 ? 2 : 0)));
    this.latest.textContent = `now ${shown.join(' / ')} ${this.unit}`;
  }

  draw() {
    this.ensureChart();
    if (this.chart) this.chart.update('none');
  }

  destroy() {
    if (this.chart) this.chart.destroy();
    this.chart = null;
  }
}
