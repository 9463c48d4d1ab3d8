import fs from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { parseHistoryText } from '../../../host/replay/history/historyFile';
import { checkReplay } from '../../../host/replay/replayCheck';
import { reportText } from '../../../host/replay/reportText';
import { sagaAppFromSources } from './sagaAppFromSources';
it('probe', async () => {
  const app = await sagaAppFromSources();
  console.log(app.registry.all().map((f) => `${f.name}:${f.kind}`).join(' '));
  const dir = path.resolve(__dirname, '../../fixtures/histories');
  for (const f of fs.readdirSync(dir)) {
    const r = await checkReplay(app, parseHistoryText(fs.readFileSync(path.join(dir, f), 'utf8'), f));
    console.log(reportText(r).join('\n'));
  }
});
