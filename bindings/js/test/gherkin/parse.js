// A Gherkin reader for the OpenFeature spec's feature files: Feature, Background, Scenario,
// Scenario Outline with Examples tables (expanded), steps with data tables, tags, comments.

const STEP = /^(Given|When|Then|And|But)\s+(.*)$/;

function cells(line) {
  const inner = line.trim().slice(1, -1);
  const out = [];
  let cell = '';
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '\\' && i + 1 < inner.length) {
      const n = inner[++i];
      cell += n === 'n' ? '\n' : n;
    } else if (c === '|') {
      out.push(cell.trim());
      cell = '';
    } else cell += c;
  }
  out.push(cell.trim());
  return out;
}

/** `{name, scenarios: [{name, tags, steps: [{keyword, text, table}]}]}` with outlines expanded. */
export function parseFeature(text) {
  const feature = { name: '', background: [], scenarios: [] };
  let tags = [];
  let current = null; // the scenario or background being read
  let outline = null;
  let examples = null;
  let lastStep = null;
  const finishOutline = () => {
    if (!outline) return;
    for (const ex of outline.examples) {
      const [header, ...rows] = ex.rows;
      for (const row of rows) {
        const values = Object.fromEntries(header.map((h, i) => [h, row[i]]));
        const fill = (s) => s.replace(/<([^>]+)>/g, (m, k) => (k in values ? values[k] : m));
        feature.scenarios.push({
          name: `${outline.name} [${ex.name}: ${row.join(', ')}]`,
          tags: [...outline.tags, ...ex.tags],
          steps: outline.steps.map((s) => ({ ...s, text: fill(s.text) })),
        });
      }
    }
    outline = null;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('@')) {
      tags.push(...line.split(/\s+/));
      continue;
    }
    let m;
    if ((m = /^Feature:\s*(.*)$/.exec(line))) {
      feature.name = m[1];
      tags = [];
    } else if (/^Background:/.test(line)) {
      finishOutline();
      current = { steps: feature.background };
      tags = [];
    } else if ((m = /^Scenario Outline:\s*(.*)$/.exec(line)) || (m = /^Scenario Template:\s*(.*)$/.exec(line))) {
      finishOutline();
      outline = { name: m[1], tags, steps: [], examples: [] };
      current = outline;
      tags = [];
    } else if ((m = /^Scenario:\s*(.*)$/.exec(line))) {
      finishOutline();
      current = { name: m[1], tags, steps: [] };
      feature.scenarios.push(current);
      tags = [];
    } else if ((m = /^Examples:\s*(.*)$/.exec(line))) {
      examples = { name: m[1], tags, rows: [] };
      outline.examples.push(examples);
      lastStep = null;
      tags = [];
    } else if (line.startsWith('|')) {
      if (lastStep) (lastStep.table ??= []).push(cells(line));
      else if (examples) examples.rows.push(cells(line));
    } else if ((m = STEP.exec(line))) {
      // Outside tables, quotes inside quoted arguments are escaped too.
      lastStep = { keyword: m[1], text: m[2].replace(/\\"/g, '"') };
      current.steps.push(lastStep);
      examples = null;
    }
  }
  finishOutline();
  return feature;
}
