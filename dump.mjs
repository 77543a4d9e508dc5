import { readdirSync, statSync, cpSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lint } from './dist/src/engine/index.js';
const F = 'fixtures';
for (const id of readdirSync(F)) {
  if (id === 'guide' || !statSync(join(F, id)).isDirectory()) continue;
  for (const e of readdirSync(join(F, id))) {
    const p = join(process.cwd(), F, id, e);
    let r;
    if (e.endsWith('.sql')) { const d = mkdtempSync(join(tmpdir(), 'x-')); cpSync(p, join(d, e)); r = await lint({ inputs: [join(d, e)], cwd: d, overrides: { rules: { [id]: 'error' } } }); }
    else if (statSync(p).isDirectory()) r = await lint({ inputs: [p], cwd: p, overrides: { rules: { [id]: 'error' } } });
    else continue;
    for (const f of r.findings) if (f.help) console.log(`### ${id}/${e} ${f.ruleId} line ${f.line}\n${f.help}\n`);
  }
}
