// gaitkeeper live dashboard: one WebSocket (/ws) of JSON messages from the
// program (docs/formats.md, "Live stream"): "status" a few times a second,
// "step" per step as soon as it is detected, "knee" with the valgus trace.
'use strict';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');
const fmt = (v, d = 0) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));

// ---- state -----------------------------------------------------------------
const MAX_STEPS = 120;
const KNEE_WINDOW_S = 20;
const steps = [];  // {t_s, side, contact_ms, cadence_spm}
const knee = {L: [], R: []};  // [t_s, valgus, confidence]
let status = null;

// ---- charts (uPlot) ----------------------------------------------------------
function chartWidth(el) { return Math.max(300, el.clientWidth || el.parentNode.clientWidth - 20); }

const bars = uPlot.paths.bars({size: [0.6, 24]});
const contactChart = new uPlot({
  width: chartWidth($('contact-chart')), height: 180,
  scales: {x: {time: false}, y: {range: (u, min, max) => [0, Math.max(300, (max || 0) * 1.1)]}},
  axes: [{label: 'step'}, {label: 'ms'}],
  series: [{label: 'step'},
           {label: 'left', stroke: '#1e88e5', fill: 'rgba(30,136,229,.5)', paths: bars, points: {show: false}},
           {label: 'right', stroke: '#e53935', fill: 'rgba(229,57,53,.5)', paths: bars, points: {show: false}}],
}, [[], [], []], $('contact-chart'));

const balanceChart = new uPlot({
  width: chartWidth($('balance-chart')), height: 140,
  scales: {x: {time: false, range: [-0.5, 1.5]}, y: {range: [0, 100]}},
  axes: [{values: (u, v) => v.map((x) => (x === 0 ? 'left' : x === 1 ? 'right' : ''))}, {label: '% of contact'}],
  series: [{label: 'side'}, {label: 'share', stroke: '#555', fill: 'rgba(80,80,80,.4)', paths: bars, points: {show: false}}],
}, [[0, 1], [null, null]], $('balance-chart'));

const kneeChart = new uPlot({
  width: chartWidth($('knee-chart')), height: 200,
  scales: {x: {time: false}},
  axes: [{label: 's'}, {label: 'deg'}],
  series: [{label: 't'},
           // The sides' samples interleave on one time axis: draw across the other side's points.
           {label: 'left valgus', stroke: '#1e88e5', points: {show: false}, spanGaps: true},
           {label: 'right valgus', stroke: '#e53935', points: {show: false}, spanGaps: true}],
}, [[], [], []], $('knee-chart'));

function drawSteps() {
  const xs = [], l = [], r = [];
  steps.forEach((s, i) => {
    xs.push(i);
    l.push(s.side === 'L' ? s.contact_ms : null);
    r.push(s.side === 'R' ? s.contact_ms : null);
  });
  contactChart.setData([xs, l, r]);
  const last = steps.slice(-20);
  let sl = 0, sr = 0;
  for (const s of last) {
    if (s.contact_ms === null) continue;
    if (s.side === 'L') sl += s.contact_ms; else if (s.side === 'R') sr += s.contact_ms;
  }
  if (sl + sr > 0) {
    const left = 100 * sl / (sl + sr);
    balanceChart.setData([[0, 1], [left, 100 - left]]);
    $('balance').textContent = `left ${left.toFixed(1)} % · right ${(100 - left).toFixed(1)} %`;
  }
}

function drawKnee() {
  // Both sides on one time axis: merge the two series' times.
  const points = [];
  for (const [t, v] of knee.L) points.push([t, v, null]);
  for (const [t, v] of knee.R) points.push([t, null, v]);
  points.sort((a, b) => a[0] - b[0]);
  kneeChart.setData([points.map((p) => p[0]), points.map((p) => p[1]), points.map((p) => p[2])]);
}

// ---- cadence gauge -------------------------------------------------------------
const G_MIN = 140, G_MAX = 200;
function gaugePoint(spm, radius) {
  const f = Math.min(1, Math.max(0, (spm - G_MIN) / (G_MAX - G_MIN)));
  const a = Math.PI * (1 - f);
  return [100 + radius * Math.cos(a), 100 - radius * Math.sin(a)];
}
function arc(from, to, radius) {
  const [x0, y0] = gaugePoint(from, radius), [x1, y1] = gaugePoint(to, radius);
  return `M ${x0} ${y0} A ${radius} ${radius} 0 0 1 ${x1} ${y1}`;
}
$('gauge-track').setAttribute('d', arc(G_MIN, G_MAX, 80));

function onTarget() {
  if (!status || !status.recommendation || status.cadence_spm === null) return null;
  const r = status.recommendation;
  return status.cadence_spm >= r.band_low_spm && status.cadence_spm <= r.band_high_spm;
}

function drawStatus() {
  const s = status;
  $('athlete').textContent = s.athlete;
  const m = Math.floor(s.session_s / 60), sec = Math.floor(s.session_s % 60);
  $('clock').textContent = `${m}:${String(sec).padStart(2, '0')}` + (s.speed !== 1 ? ` (replay ×${s.speed})` : '') +
      (s.finished ? ' · session ended' : '');
  $('cadence').textContent = fmt(s.cadence_spm, 1);
  if (s.cadence_spm !== null) {
    const [x, y] = gaugePoint(s.cadence_spm, 70);
    $('gauge-needle').setAttribute('x2', x);
    $('gauge-needle').setAttribute('y2', y);
  }
  const r = s.recommendation;
  if (r) {
    $('target').textContent = `target ${fmt(r.target_spm)} (band ${fmt(r.band_low_spm)}–${fmt(r.band_high_spm)})`;
    $('gauge-band').setAttribute('d', arc(r.band_low_spm, r.band_high_spm, 80));
    $('bpm').textContent = fmt(r.metronome_bpm);
  }
  const on = onTarget();
  $('on-target').textContent = on === null ? '' : on ? 'on target' : 'off target';
  $('on-target').className = on === null ? '' : on ? 'on' : 'off';
  if (s.last_step) {
    $('contact').textContent = fmt(s.last_step.contact_ms);
    $('last-side').textContent = s.last_step.side === 'L' ? 'left foot' : 'right foot';
  }
  for (const side of ['L', 'R']) {
    const k = s.knee[side];
    $(`valgus-${side}`).textContent = k ? `${k.valgus_deg.toFixed(1)}° (confidence ${k.confidence.toFixed(2)})` : '–';
  }
  const ul = $('flags');
  ul.replaceChildren();
  if (s.flags.length === 0) {
    const li = document.createElement('li');
    li.className = 'none';
    li.textContent = 'none';
    ul.append(li);
    $('not-a-diagnosis').textContent = '';
  } else {
    for (const f of s.flags) {
      const li = document.createElement('li');
      li.className = `flag sev-${f.severity}`;
      li.dataset.kind = f.kind;
      const ev = f.evidence.map((e) => `${e.name} ${e.value.toFixed(1)} ${e.unit}`).join(', ');
      li.textContent = `[${f.severity}] ${f.title}: ${f.advice}` + (ev ? ` (${ev}; threshold ${f.threshold.toFixed(1)} ${f.threshold_unit})` : '');
      ul.append(li);
    }
    $('not-a-diagnosis').textContent = s.not_a_diagnosis;
  }
  const l = s.link;
  $('link').textContent = `${l.packets} packets · loss ${l.loss_pct.toFixed(2)} % (${l.missing} missing) · ${l.gaps} gaps · ` +
      `${l.crc_failures} CRC failures · ${l.reconnects} reconnects` + (l.drift_ppm !== null ? ` · clock ${l.drift_ppm.toFixed(0)} ppm` : '');
  const sensors = $('sensors');
  sensors.replaceChildren();
  for (const x of s.sensors) {
    const li = document.createElement('li');
    li.textContent = `${x.placement} (device ${x.device_id}, ${fmt(x.rate_hz)} Hz)`;
    sensors.append(li);
  }
  metronome.update();
}

// ---- metronome (Web Audio) -------------------------------------------------------
// A look-ahead scheduler: clicks are scheduled on the audio clock a little
// ahead, so timer jitter never shifts a beat.
const metronome = {
  ctx: null, running: false, ticks: 0, next: 0, timer: null,
  bpm() { return status && status.recommendation ? status.recommendation.metronome_bpm : 0; },
  audible() { return !$('metronome-off-target').checked || onTarget() === false; },
  click(at) {
    const osc = this.ctx.createOscillator(), gain = this.ctx.createGain();
    osc.frequency.value = 1000;
    gain.gain.setValueAtTime(0.4, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + 0.04);
    osc.connect(gain).connect(this.ctx.destination);
    osc.start(at);
    osc.stop(at + 0.05);
  },
  schedule() {
    const bpm = this.bpm() || 170;  // before a recommendation: a typical target
    while (this.next < this.ctx.currentTime + 0.1) {
      if (this.audible()) { this.click(this.next); this.ticks++; }
      this.next += 60 / bpm;
    }
  },
  async start() {
    if (!this.ctx) this.ctx = new AudioContext();
    await this.ctx.resume();
    this.running = true;
    this.next = this.ctx.currentTime + 0.05;
    this.timer = setInterval(() => this.schedule(), 25);
    this.update();
  },
  stop() {
    this.running = false;
    clearInterval(this.timer);
    this.update();
  },
  update() {
    $('metronome-toggle').textContent = this.running ? 'Stop metronome' : 'Start metronome';
    $('metronome-state').textContent = !this.running ? 'stopped' :
        `running at ${fmt(this.bpm() || 170)} BPM` + (this.audible() ? '' : ' (silent: on target)');
  },
};
window.gkMetronome = metronome;
$('metronome-toggle').addEventListener('click', () => (metronome.running ? metronome.stop() : metronome.start()));
$('metronome-off-target').addEventListener('change', () => metronome.update());

// ---- the stream ---------------------------------------------------------------------
function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws` +
                           (token ? `?token=${encodeURIComponent(token)}` : ''));
  ws.onopen = () => { $('conn').textContent = 'connected'; $('conn').className = 'ok'; };
  ws.onclose = () => {
    $('conn').textContent = 'disconnected, retrying';
    $('conn').className = 'bad';
    setTimeout(connect, 1000);
  };
  ws.onmessage = (ev) => {
    const m = JSON.parse(ev.data);
    if (m.type === 'status') {
      status = m;
      window.gkStatus = m;
      drawStatus();
    } else if (m.type === 'step') {
      steps.push(m);
      if (steps.length > MAX_STEPS) steps.shift();
      drawSteps();
    } else if (m.type === 'knee') {
      for (const side of ['L', 'R']) {
        knee[side].push(...m[side]);
        const last = knee[side].length ? knee[side][knee[side].length - 1][0] : 0;
        while (knee[side].length && knee[side][0][0] < last - KNEE_WINDOW_S) knee[side].shift();
      }
      drawKnee();
    }
  };
}
connect();
