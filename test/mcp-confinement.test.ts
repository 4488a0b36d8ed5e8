import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory, textOf, type McpSession } from './helpers/mcp-connect.js';
import { busybox, createTestHub, type TestHub } from './helpers/test-hub.js';

describe('MCP file tools against links planted from inside the project container', () => {
  let t: TestHub;
  let mcp: McpSession;
  let outside: string;

  beforeAll(async () => {
    t = createTestHub({ projects: { box: busybox('./box'), box2: busybox('./box2') } });
    outside = join(t.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'HOST SECRET\n');
    await t.hub.up();
    mcp = await connectInMemory(t.hub);
    // the container knows host paths only as strings, which is all a planted link needs
    const plant = await mcp.call('run_command', {
      project: 'box',
      command: [
        `ln -s ${outside}/secret.txt leak`,
        `ln -s ${outside} leakdir`,
        'ln -s /etc etc-link',
        'ln -s ../box2 sibling',
        'ln -s loop-b loop-a && ln -s loop-a loop-b',
        'mkdir -p src && echo inside > src/a.txt && ln -s src/a.txt inner',
        // d -> . makes d/d the root, so d/d/.. is above it: outside, whatever the text says
        'ln -s . d && ln -s d/d/../outside/secret.txt dleak',
        "mkdir -p .git/hooks && printf '[core]\\n' > .git/config && ln -s .git docs && ln -s ./.git/ docs2",
      ].join(' && '),
    });
    expect(plant.structuredContent).toMatchObject({ exit_code: 0 });
  });
  afterAll(async () => {
    await mcp?.[Symbol.asyncDispose]();
    await t?.[Symbol.asyncDispose]();
  });

  const refusedWithoutHostPaths = async (tool: string, args: Record<string, unknown>) => {
    const r = await mcp.call(tool, { project: 'box', ...args });
    expect(r.isError, `${tool} ${JSON.stringify(args)}: ${textOf(r)}`).toBe(true);
    const text = textOf(r);
    expect(text).not.toContain(t.dir);
    expect(text).not.toContain(t.home);
    expect(text).not.toContain('/proc/self');
    return text;
  };

  it('refuses reads through links to a file, a folder, or a sibling project outside', async () => {
    expect(await refusedWithoutHostPaths('read_file', { path: 'leak' })).toBe(
      'Path "leak" is a symbolic link to a place outside the project.',
    );
    await refusedWithoutHostPaths('read_file', { path: 'leakdir/secret.txt' });
    await refusedWithoutHostPaths('read_file', { path: 'etc-link/passwd' });
    await refusedWithoutHostPaths('read_file', { path: 'sibling/anything' });
    const search = await mcp.call('search_files', { project: 'box', query: 'HOST SECRET' });
    expect(search.structuredContent).toMatchObject({ matches: [] });
  });

  it('refuses writes, edits, moves and deletes through them, and nothing outside changes', async () => {
    await refusedWithoutHostPaths('write_file', { path: 'leakdir/new.txt', content: 'x' });
    await refusedWithoutHostPaths('write_file', { path: 'leakdir/sub/new.txt', content: 'x' });
    await refusedWithoutHostPaths('edit_file', {
      path: 'leak',
      edits: [{ old_text: 'HOST', new_text: 'PWNED' }],
    });
    await refusedWithoutHostPaths('move_path', { from: 'src/a.txt', to: 'leakdir/a.txt' });
    await refusedWithoutHostPaths('delete_path', { path: 'leakdir/secret.txt' });
    await refusedWithoutHostPaths('list_files', { path: 'leakdir' });
    await refusedWithoutHostPaths('read_file', { path: 'loop-a' });
    await refusedWithoutHostPaths('read_file', { path: '../box2/x' });
    await refusedWithoutHostPaths('read_file', { path: '/etc/passwd' });
    await refusedWithoutHostPaths('run_command', { command: 'true', cwd: '../box2' });
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('HOST SECRET\n');
    expect(existsSync('/etc/new.txt')).toBe(false);
  });

  it('judges links the way the kernel resolves them, not as text', async () => {
    expect(readFileSync(join(t.dir, 'box', 'dleak'), 'utf8')).toBe('HOST SECRET\n');
    expect(await refusedWithoutHostPaths('read_file', { path: 'dleak' })).toBe(
      'Path "dleak" is a symbolic link to a place outside the project.',
    );
    await refusedWithoutHostPaths('edit_file', {
      path: 'dleak',
      edits: [{ old_text: 'HOST', new_text: 'X' }],
    });
    expect(textOf(await mcp.call('read_file', { project: 'box', path: 'd/d/src/a.txt' }))).toBe('inside\n');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('HOST SECRET\n');
  });

  it('keeps .git out of reach: reads, writes, listing, deletes and moves, also through links', async () => {
    const git = join(t.dir, 'box', '.git');
    expect(await refusedWithoutHostPaths('read_file', { path: '.git/config' })).toMatch(/reaches into \.git/);
    await refusedWithoutHostPaths('read_file', { path: '.GIT/config' });
    await refusedWithoutHostPaths('read_file', { path: 'docs/config' });
    await refusedWithoutHostPaths('write_file', { path: '.git/hooks/pre-commit', content: '#!/bin/sh\n' });
    await refusedWithoutHostPaths('write_file', {
      path: '.git/config',
      content: '[core]\n\tfsmonitor = x\n',
    });
    await refusedWithoutHostPaths('write_file', { path: 'docs/hooks/pre-commit', content: '#!/bin/sh\n' });
    await refusedWithoutHostPaths('write_file', { path: 'docs2/config', content: 'x' });
    await refusedWithoutHostPaths('edit_file', {
      path: '.git/config',
      edits: [{ old_text: '[core]', new_text: '[core]\n\tfsmonitor = x' }],
    });
    await refusedWithoutHostPaths('list_files', { path: '.git' });
    await refusedWithoutHostPaths('list_files', { path: 'docs' });
    await refusedWithoutHostPaths('delete_path', { path: '.git/config' });
    await refusedWithoutHostPaths('delete_path', { path: '.git' });
    await refusedWithoutHostPaths('move_path', { from: 'src/a.txt', to: '.git/hooks/post-checkout' });
    await refusedWithoutHostPaths('move_path', { from: 'src/a.txt', to: 'docs2/hooks/post-checkout' });
    await refusedWithoutHostPaths('move_path', { from: '.git/config', to: 'config' });
    const listed = await mcp.call('list_files', { project: 'box', gitignore: false });
    const paths = (listed.structuredContent as { entries: { path: string }[] }).entries.map((e) => e.path);
    expect(paths.filter((p) => /(^|\/)\.git(\/|$)/i.test(p))).toEqual([]);
    expect(readdirSync(git).sort()).toEqual(['config', 'hooks']);
    expect(readdirSync(join(git, 'hooks'))).toEqual([]);
    expect(readFileSync(join(git, 'config'), 'utf8')).toBe('[core]\n');
    expect(readFileSync(join(t.dir, 'box', 'src', 'a.txt'), 'utf8')).toBe('inside\n');
  });

  it('follows links that stay inside, and a write replaces a planted link', async () => {
    expect(textOf(await mcp.call('read_file', { project: 'box', path: 'inner' }))).toBe('inside\n');
    const w = await mcp.call('write_file', { project: 'box', path: 'leak', content: 'mine now\n' });
    expect(w.structuredContent).toMatchObject({ created: false });
    const seen = await mcp.call('run_command', {
      project: 'box',
      command: '[ -L leak ] && echo link || cat leak',
    });
    expect(seen.structuredContent).toMatchObject({ stdout: 'mine now\n' });
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('HOST SECRET\n');
  });

  it('lists planted links as links without following them', async () => {
    const r = await mcp.call('list_files', { project: 'box', pattern: 'leak*' });
    // `leak` was replaced by a file in the test above
    expect(r.structuredContent).toEqual({
      entries: [
        { path: 'leak', type: 'file', size: 9 },
        { path: 'leakdir', type: 'symlink', size: 0 },
      ],
      truncated: false,
    });
  });
});
