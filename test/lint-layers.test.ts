import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'layers/imports-point-down')
    .map((m) => m.message);
}

describe('imports point down the layers (eslint/layers.js)', () => {
  it('refuses an import up or sideways, type imports and dynamic imports included', async () => {
    expect(
      await layerErrors('src/runtime/x.ts', "import { Hub } from '../hub/hub.js';\nvoid Hub;\n"),
    ).toEqual(['src/runtime may not import from src/hub: imports point down the layers (eslint/layers.js)']);
    expect(
      await layerErrors(
        'src/workspace/x.ts',
        "import type { Hub } from '../hub/hub.js';\nexport type H = Hub;\n",
      ),
    ).toHaveLength(1);
    expect(
      await layerErrors('src/hub/deep/x.ts', "export const m = () => import('../../mcp/server.js');\n"),
    ).toHaveLength(1);
    expect(
      await layerErrors('src/sessions/x.ts', "import { Hub } from '../hub/hub.js';\nvoid Hub;\n"),
    ).toHaveLength(1);
  });

  it('allows imports down, within a folder, and of the shared root files', async () => {
    const code = [
      "import { BerthError } from '../errors.js';",
      "import { DEFAULT_IMAGE } from '../config/types.js';",
      "import { runExec } from '../exec/run-exec.js';",
      "import { Store } from '../store/store.js';",
      "import { upProjects } from './hub-up.js';",
      'void [BerthError, DEFAULT_IMAGE, runExec, Store, upProjects];',
      '',
    ].join('\n');
    expect(await layerErrors('src/hub/x.ts', code)).toEqual([]);
    expect(await layerErrors('src/cli/x.ts', "import { Hub } from '../hub/hub.js';\nvoid Hub;\n")).toEqual(
      [],
    );
  });
});
