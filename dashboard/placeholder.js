// Local placeholder dashboard. Every string from the data is set with textContent, never innerHTML.
const fmt = (x) => (typeof x === 'number' && Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : '–');
const time = (ts) => new Date(ts).toLocaleString();

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function fill(tbody, rows, columns, emptyText) {
  tbody.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(tr, emptyText, 'empty');
    td.colSpan = columns;
    tbody.appendChild(tr);
    return;
  }
  for (const r of rows) tbody.appendChild(r);
}

async function refresh() {
  try {
    const res = await fetch('/local/status', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const status = await res.json();
    fill(
      document.getElementById('series'),
      status.series.map((s) => {
        const tr = document.createElement('tr');
        cell(tr, s.label);
        cell(tr, s.latest ? `${fmt(s.latest.value)} ${s.unit}` : 'no data yet');
        cell(tr, s.latest ? time(s.latest.ts) : '');
        cell(tr, String(s.points));
        return tr;
      }),
      4,
      'No series configured.',
    );
    fill(
      document.getElementById('anomalies'),
      status.anomalies.map((a) => {
        const tr = document.createElement('tr');
        cell(tr, time(a.ts));
        const sev = cell(tr, '');
        const badge = document.createElement('span');
        badge.className = `sev sev-${a.severity}`;
        badge.textContent = `${a.severity} (${a.level})`;
        sev.appendChild(badge);
        cell(tr, a.label);
        cell(tr, fmt(a.value));
        cell(tr, `${fmt(a.expectedLow)} – ${fmt(a.expectedHigh)}`);
        cell(tr, `${a.methods.join(', ')}: ${a.explanation}`);
        return tr;
      }),
      6,
      'No anomalies recorded in the last 24 hours.',
    );
    fill(
      document.getElementById('alerts'),
      status.alerts.map((m) => {
        const tr = document.createElement('tr');
        cell(tr, time(m.publishedAt));
        cell(tr, m.subject);
        cell(
          tr,
          Object.entries(m.attributes)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
        );
        return tr;
      }),
      3,
      'No alerts published yet.',
    );
    document.getElementById('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    document.getElementById('updated').textContent = `Could not load status: ${error.message}`;
  }
}

refresh();
setInterval(refresh, 10_000);
