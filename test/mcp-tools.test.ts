import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cliFixture, type CliFixture } from './helpers/cli-fixture.js';
import { connectHttp, connectStdio, startHttpCli, textOf, type McpSession } from './helpers/mcp-connect.js';

const TOOLS = [
  'create_folder',
  'delete_path',
  'directory_tree',
  'edit_file',
  'get_file_info',
  'list_files',
  'list_projects',
  'move_path',
  'preview_list',
  'preview_logs',
  'preview_restart',
  'read_file',
  'read_media_file',
  'read_multiple_files',
  'run_command',
  'run_tests',
  'search_files',
  'session_apply',
  'session_diff',
  'session_discard',
  'session_log',
  'session_start',
  'sync_from_local',
  'sync_resolve',
  'sync_status',
  'write_file',
];

type Connect = (f: CliFixture) => Promise<{ mcp: McpSession; close: () => Promise<void> }>;

const transports: [string, Connect][] = [
  [
    'stdio (spawned `berth mcp`)',
    async (f) => {
      const mcp = await connectStdio(join(f.dir, 'berth.yaml'), f.home);
      return { mcp, close: async () => mcp[Symbol.asyncDispose]() };
    },
  ],
  [
    'Streamable HTTP (spawned `berth mcp --http`)',
    async (f) => {
      const server = await startHttpCli(join(f.dir, 'berth.yaml'), f.home, 'test-token-0123456789abcdef');
      const mcp = await connectHttp(server.url, server.token);
      return {
        mcp,
        close: async () => {
          await mcp[Symbol.asyncDispose]();
          await server[Symbol.asyncDispose]();
        },
      };
    },
  ],
];

describe.each(transports)('MCP tools over %s', (_name, connect) => {
  let f: CliFixture;
  let mcp: McpSession;
  let close: () => Promise<void>;
  const structured = async (tool: string, args: Record<string, unknown>) => {
    const r = await mcp.call(tool, args);
    expect(r.isError ?? false, textOf(r)).toBe(false);
    return r.structuredContent as Record<string, unknown>;
  };

  beforeAll(async () => {
    f = cliFixture('mcp-hub');
    ({ mcp, close } = await connect(f));
  });
  afterAll(async () => {
    await close?.();
    await f?.[Symbol.asyncDispose]();
  });

  it('lists every tool, with annotations and a description on every input field', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.annotations, tool.name).toBeDefined();
      expect(tool.description, tool.name).toBeTruthy();
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect((schema as { description?: string }).description, `${tool.name}.${field}`).toBeTruthy();
      }
    }
    const readOnly = tools.filter((t) => t.annotations?.readOnlyHint).map((t) => t.name);
    expect(readOnly.sort()).toEqual([
      'directory_tree',
      'get_file_info',
      'list_files',
      'list_projects',
      'preview_list',
      'preview_logs',
      'read_file',
      'read_media_file',
      'read_multiple_files',
      'search_files',
      'session_diff',
      'session_log',
      'sync_status',
    ]);
  });

  it('list_projects and run_tests: both languages tested in their own containers', async () => {
    const listed = await structured('list_projects', {});
    expect(listed.projects).toEqual([
      expect.objectContaining({ name: 'node-app', test_command: 'node --test test/' }),
      expect.objectContaining({ name: 'py-app', test_command: 'python3 -m unittest discover -s tests' }),
    ]);
    const report = await structured('run_tests', {});
    expect(report.ok).toBe(true);
    expect(
      (report.results as { project: string; status: string }[]).map((r) => [r.project, r.status]),
    ).toEqual([
      ['node-app', 'passed'],
      ['py-app', 'passed'],
    ]);
    const after = await structured('list_projects', {});
    expect((after.projects as { state: string }[]).map((p) => p.state)).toEqual(['running', 'running']);
  });

  it('read_file reads whole files and line ranges', async () => {
    const whole = await mcp.call('read_file', { project: 'node-app', path: 'src/math.js' });
    expect(textOf(whole)).toBe('export function add(a, b) {\n  return a + b;\n}\n');
    const part = await mcp.call('read_file', {
      project: 'node-app',
      path: 'src/math.js',
      offset: 2,
      limit: 1,
    });
    expect(textOf(part)).toBe('  return a + b;\n');
  });

  it('write_file is visible to cat inside the project container at once', async () => {
    const wrote = await structured('write_file', {
      project: 'py-app',
      path: 'notes/todo.md',
      content: '# todo\n- ship\n',
    });
    expect(wrote).toEqual({ path: 'notes/todo.md', bytes: 14, created: true });
    const cat = await structured('run_command', { project: 'py-app', command: 'cat notes/todo.md' });
    expect(cat).toMatchObject({ exit_code: 0, stdout: '# todo\n- ship\n', stderr: '', timed_out: false });
  });

  it('edit_file: dry run, a real edit that breaks a test, and refusals that write nothing', async () => {
    const edit = {
      project: 'node-app',
      path: 'src/math.js',
      edits: [{ old_text: 'a + b', new_text: 'a - b' }],
    };
    const dry = await structured('edit_file', { ...edit, dry_run: true });
    expect(dry.diff).toContain('-  return a + b;\n+  return a - b;');
    expect(textOf(await mcp.call('read_file', { project: 'node-app', path: 'src/math.js' }))).toContain(
      'a + b',
    );

    await structured('edit_file', edit);
    const broken = await structured('run_tests', { projects: ['node-app'] });
    expect(broken.ok).toBe(false);
    expect(broken.results).toEqual([expect.objectContaining({ project: 'node-app', status: 'failed' })]);

    const missing = await mcp.call('edit_file', {
      project: 'node-app',
      path: 'src/math.js',
      edits: [
        { old_text: 'a - b', new_text: 'a + b' },
        { old_text: 'not in the file', new_text: 'x' },
      ],
    });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^Edit 2 of 2: old_text was not found in "src\/math.js"/);
    const ambiguous = await mcp.call('edit_file', {
      project: 'node-app',
      path: 'src/math.js',
      edits: [{ old_text: 'a', new_text: 'x' }],
    });
    expect(ambiguous.isError).toBe(true);
    expect(textOf(ambiguous)).toMatch(/matches \d+ places/);
    // neither refused batch wrote anything
    expect(textOf(await mcp.call('read_file', { project: 'node-app', path: 'src/math.js' }))).toContain(
      'a - b',
    );

    await structured('edit_file', { ...edit, edits: [{ old_text: 'a - b', new_text: 'a + b' }] });
    expect((await structured('run_tests', { projects: ['node-app'] })).ok).toBe(true);
  });

  it('list_files honours .gitignore unless told not to, and filters by glob', async () => {
    await structured('write_file', {
      project: 'node-app',
      path: 'node_modules/dep/index.js',
      content: 'module.exports = 1;\n',
    });
    const listed = await structured('list_files', { project: 'node-app' });
    const paths = (listed.entries as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(['.gitignore', 'package.json', 'src', 'src/math.js', 'test', 'test/math.test.js']);
    expect(listed.entries).toContainEqual({ path: 'src/math.js', type: 'file', size: 46 });
    const all = await structured('list_files', { project: 'node-app', gitignore: false });
    expect((all.entries as { path: string }[]).map((e) => e.path)).toContain('node_modules/dep/index.js');
    const js = await structured('list_files', { project: 'node-app', pattern: '*.js' });
    expect((js.entries as { path: string }[]).map((e) => e.path)).toEqual([
      'src/math.js',
      'test/math.test.js',
    ]);
    const capped = await structured('list_files', { project: 'node-app', max: 2 });
    expect(capped).toMatchObject({ truncated: true });
  });

  it('search_files finds text and regular expressions, as path:line: text', async () => {
    const r = await mcp.call('search_files', { project: 'py-app', query: 'Hello' });
    expect(textOf(r)).toBe(
      'greet.py:2:     return "Hello, " + name\ntests/test_greet.py:11:         self.assertEqual(greet("Ada"), "Hello, Ada")',
    );
    expect(r.structuredContent).toMatchObject({
      matches: [
        { path: 'greet.py', line: 2 },
        { path: 'tests/test_greet.py', line: 11 },
      ],
      truncated: false,
    });
    expect((r.structuredContent as { files_searched: number }).files_searched).toBeGreaterThanOrEqual(2);
    const regex = await structured('search_files', { project: 'py-app', query: 'def \\w+\\(', regex: true });
    expect((regex.matches as { path: string }[]).map((m) => m.path)).toEqual([
      'greet.py',
      'tests/test_greet.py',
    ]);
    const globbed = await structured('search_files', { project: 'py-app', query: 'greet', glob: 'tests/**' });
    expect((globbed.matches as { path: string }[]).every((m) => m.path.startsWith('tests/'))).toBe(true);
    const bad = await mcp.call('search_files', { project: 'py-app', query: '(unclosed', regex: true });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/not a valid regular expression/);
  });

  it('move_path and delete_path', async () => {
    await structured('write_file', { project: 'py-app', path: 'notes/other.md', content: 'x' });
    expect(
      await structured('move_path', { project: 'py-app', from: 'notes/todo.md', to: 'archive/done.md' }),
    ).toEqual({
      from: 'notes/todo.md',
      to: 'archive/done.md',
    });
    const clash = await mcp.call('move_path', {
      project: 'py-app',
      from: 'notes/other.md',
      to: 'archive/done.md',
    });
    expect(clash.isError).toBe(true);
    expect(textOf(clash)).toBe('"archive/done.md" already exists; delete it first or pick another name.');
    expect(await structured('delete_path', { project: 'py-app', path: 'archive' })).toEqual({
      path: 'archive',
      kind: 'folder',
    });
    const ls = await structured('run_command', { project: 'py-app', command: 'ls' });
    expect(ls.stdout).not.toContain('archive');
    const root = await mcp.call('delete_path', { project: 'py-app', path: '.' });
    expect(root.isError).toBe(true);
  });

  it('run_command: a non-zero exit is a result; a timeout kills; progress is reported', async () => {
    const failed = await mcp.call('run_command', { project: 'py-app', command: 'echo oops >&2; exit 3' });
    expect(failed.isError ?? false).toBe(false);
    expect(failed.structuredContent).toMatchObject({ exit_code: 3, stderr: 'oops\n', timed_out: false });
    const env = await structured('run_command', {
      project: 'py-app',
      command: 'echo "$GREETING from $(pwd)"',
      cwd: 'tests',
      env: { GREETING: 'hi' },
    });
    expect(env.stdout).toBe('hi from /workspace/tests\n');
    const slow = await structured('run_command', { project: 'py-app', command: 'sleep 30', timeout_ms: 500 });
    expect(slow).toMatchObject({ timed_out: true });
    expect(slow.duration_ms as number).toBeLessThan(5000);

    const notes: string[] = [];
    const r = await mcp.client.callTool(
      { name: 'run_command', arguments: { project: 'py-app', command: 'echo start; sleep 2.3; echo end' } },
      undefined,
      { onprogress: (p) => notes.push(p.message ?? ''), timeout: 30_000 },
    );
    expect(r.structuredContent).toMatchObject({ exit_code: 0, stdout: 'start\nend\n' });
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(notes.at(-1)).toMatch(/^running for \ds, \d+ bytes of output$/);
  });

  it('an unknown project lists the known ones', async () => {
    const r = await mcp.call('read_file', { project: 'nope', path: 'x' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe('Unknown project "nope"; known projects: node-app, py-app.');
  });
});
