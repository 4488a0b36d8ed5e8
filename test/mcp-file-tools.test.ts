import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '../src/hub/hub.js';
import { silentLogger } from '../src/logger.js';
import { createServer } from '../src/mcp/server.js';
import { DEFAULT_LIMITS, type WorkspaceLimits } from '../src/workspace/workspace.js';
import { textOf, type McpSession } from './helpers/mcp-connect.js';
import { busybox, createTestHub, FIXTURES, type TestHub } from './helpers/test-hub.js';

/** connectInMemory, with the workspace limits given (small ones make the caps testable). */
async function connectWithLimits(hub: Hub, limits: WorkspaceLimits): Promise<McpSession> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = createServer({ hub, logger: silentLogger(), limits });
  await server.connect(serverSide);
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    [Symbol.asyncDispose]: async () => {
      await client.close();
      await server.close();
    },
  };
}

const SMALL: WorkspaceLimits = { ...DEFAULT_LIMITS, readMaxBytes: 1000, mediaMaxBytes: 40 };
const NEW_TOOLS = [
  'create_folder',
  'directory_tree',
  'get_file_info',
  'read_media_file',
  'read_multiple_files',
];

describe('MCP file tools: globs, caps, line endings, big edits, Unicode names, and the peer tool set', () => {
  let t: TestHub;
  let mcp: McpSession;
  let small: McpSession;
  let root: string;
  let outside: string;

  beforeAll(async () => {
    t = createTestHub({ projects: { box: busybox('./box') } });
    root = join(t.dir, 'box');
    cpSync(join(FIXTURES, 'file-tools'), root, { recursive: true });
    outside = join(t.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'HOST SECRET\n');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'leak'));
    symlinkSync(outside, join(root, 'leakdir'));
    symlinkSync('src/a.ts', join(root, 'inner'));
    mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(root, '.git', 'config'), '[core]\n');
    symlinkSync('.git', join(root, 'docs-git'));
    mkdirSync(join(root, 'build'));
    writeFileSync(join(root, 'build', 'out.js'), 'built\n');
    mcp = await connectWithLimits(t.hub, DEFAULT_LIMITS);
    small = await connectWithLimits(t.hub, SMALL);
  });
  afterAll(async () => {
    await mcp?.[Symbol.asyncDispose]();
    await small?.[Symbol.asyncDispose]();
    await t?.[Symbol.asyncDispose]();
  });

  const structured = async (tool: string, args: Record<string, unknown>, via = mcp) => {
    const r = await via.call(tool, { project: 'box', ...args });
    expect(r.isError ?? false, `${tool}: ${textOf(r)}`).toBe(false);
    return r.structuredContent as Record<string, unknown>;
  };
  const refused = async (tool: string, args: Record<string, unknown>) => {
    const r = await mcp.call(tool, { project: 'box', ...args });
    expect(r.isError, `${tool} ${JSON.stringify(args)}: ${textOf(r)}`).toBe(true);
    const text = textOf(r);
    expect(text).not.toContain(t.dir);
    expect(text).not.toContain('/proc/self');
    expect(text).not.toContain('HOST SECRET');
    return text;
  };
  const paths = (entries: unknown) => (entries as { path: string }[]).map((e) => e.path);

  it('lists the new tools with annotations and a description on every field', async () => {
    const { tools } = await mcp.client.listTools();
    for (const name of NEW_TOOLS) {
      const tool = tools.find((x) => x.name === name);
      expect(tool, name).toBeDefined();
      expect(tool!.annotations, name).toBeDefined();
      for (const [field, schema] of Object.entries(tool!.inputSchema.properties ?? {}))
        expect((schema as { description?: string }).description, `${name}.${field}`).toBeTruthy();
    }
    const readOnly = tools.filter((x) => x.annotations?.readOnlyHint).map((x) => x.name);
    expect(readOnly).toEqual(expect.arrayContaining(NEW_TOOLS.filter((n) => n !== 'create_folder')));
    expect(readOnly).not.toContain('create_folder');
  });

  it('globs with a slash match the path from the project root; without one, the name anywhere', async () => {
    const search = async (glob: string) =>
      paths((await structured('search_files', { query: 'export', glob })).matches);
    expect(await search('src/**/*.ts')).toEqual(['src/a.ts', 'src/lib/b.ts']);
    expect(await search('src/*.ts')).toEqual(['src/a.ts']);
    expect(await search('src/**')).toEqual(['src/a.ts', 'src/lib/b.ts']);
    expect(await search('*.ts')).toEqual(['root.ts', 'src/a.ts', 'src/lib/b.ts']);
    const list = async (args: Record<string, unknown>) =>
      paths((await structured('list_files', args)).entries);
    expect(await list({ pattern: 'src/**' })).toEqual(['src', 'src/a.ts', 'src/lib', 'src/lib/b.ts']);
    // from the project root, whatever path the listing starts at
    expect(await list({ path: 'src/lib', pattern: 'src/lib/*.ts' })).toEqual(['src/lib/b.ts']);
    expect(await list({ path: 'src', pattern: 'lib/*.ts' })).toEqual([]);
    expect(await list({ path: 'src', pattern: '*.ts' })).toEqual(['src/a.ts', 'src/lib/b.ts']);
  });

  it('read_file: a slice never returns more than the read cap, and says how to go on', async () => {
    // the case: one 7 MiB line, asked for with offset and limit
    writeFileSync(join(root, 'huge.txt'), `${'y'.repeat(7 * 1024 * 1024)}\nsecond\n`);
    const one = await mcp.call('read_file', { project: 'box', path: 'huge.txt', offset: 1, limit: 1 });
    expect(one.isError ?? false, textOf(one)).toBe(false);
    const first = one.content[0] as { text: string };
    expect(first.text.length).toBe(DEFAULT_LIMITS.readMaxBytes);
    expect(one.structuredContent).toMatchObject({
      cut: 'line',
      truncated: true,
      rest_byte: DEFAULT_LIMITS.readMaxBytes,
    });
    expect(textOf(one)).toMatch(
      /line 1 is longer than the 4194304-byte read cap.*tail -c \+4194305 'huge.txt'/,
    );
    const whole = await mcp.call('read_file', { project: 'box', path: 'huge.txt' });
    expect(textOf(whole)).toMatch(/over the 4194304-byte limit.*tail/);

    // a slice of many lines stops between lines, with the offset that continues it
    writeFileSync(
      join(root, 'lines.txt'),
      Array.from({ length: 20 }, (_, i) => `${i + 1}`.padEnd(99, '.')).join('\n') + '\n',
    );
    const slice = await small.call('read_file', { project: 'box', path: 'lines.txt', offset: 3 });
    expect((slice.content[0] as { text: string }).text.length).toBe(1000);
    expect(slice.structuredContent).toMatchObject({
      start_line: 3,
      end_line: 12,
      cut: 'slice',
      next_offset: 13,
    });
    expect(textOf(slice)).toContain('continue with offset 13');
    const rest = await structured('read_file', { path: 'lines.txt', offset: 13 }, small);
    expect(rest).toMatchObject({ start_line: 13, end_line: 20, total_lines: 20, truncated: false });
    // within the cap nothing changes: the text alone
    const part = await mcp.call('read_file', { project: 'box', path: 'lines.txt', offset: 2, limit: 1 });
    expect(textOf(part)).toBe(`${'2'.padEnd(99, '.')}\n`);
  });

  it('read_file tail: the last lines of a file over the cap, read from its end', async () => {
    writeFileSync(
      join(root, 'app.log'),
      Array.from({ length: 500 }, (_, i) => `event ${i + 1}`).join('\n') + '\n',
    );
    const r = await small.call('read_file', { project: 'box', path: 'app.log', tail: 3 });
    expect(textOf(r)).toBe('event 498\nevent 499\nevent 500\n');
    expect(r.structuredContent).toMatchObject({ lines: 3, truncated: false });
    const many = await small.call('read_file', { project: 'box', path: 'app.log', tail: 400 });
    expect(many.structuredContent).toMatchObject({ cut: 'slice', truncated: true });
    expect(Buffer.byteLength((many.content[0] as { text: string }).text)).toBeLessThanOrEqual(1000);
    expect((many.content[0] as { text: string }).text.endsWith('event 500\n')).toBe(true);
    expect((many.content[0] as { text: string }).text.startsWith('event ')).toBe(true);
    const both = await refused('read_file', { path: 'app.log', tail: 3, offset: 1 });
    expect(both).toBe('Give tail, or offset and limit, not both.');
    await refused('read_file', { path: 'leak', tail: 1 });
    await refused('read_file', { path: '.git/config', tail: 1 });
  });

  it('edit_file: old_text with \\n matches a CRLF file, new_text keeps its line endings', async () => {
    writeFileSync(join(root, 'win.txt'), 'one\r\ntwo\r\nthree\r\n');
    const r = await structured('edit_file', {
      path: 'win.txt',
      edits: [{ old_text: 'one\ntwo\n', new_text: 'uno\ndos\nextra\n' }],
    });
    expect(r.diff).toContain('+dos');
    expect(readFileSync(join(root, 'win.txt'), 'utf8')).toBe('uno\r\ndos\r\nextra\r\nthree\r\n');
    writeFileSync(join(root, 'mixed.txt'), 'one\r\ntwo\nthree\n');
    const mixed = await refused('edit_file', {
      path: 'mixed.txt',
      edits: [{ old_text: 'one\ntwo', new_text: 'x' }],
    });
    expect(mixed).toMatch(/mixes CRLF .* and LF/);
    expect(readFileSync(join(root, 'mixed.txt'), 'utf8')).toBe('one\r\ntwo\nthree\n');
  });

  it('edit_file: a huge batch does not hold up other calls, and over the cap is refused', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} ${'x'.repeat(4000)}`);
    writeFileSync(join(root, 'big.txt'), lines.join('\n') + '\n');
    const edits = lines.map((l, i) => ({ old_text: `${l}\n`, new_text: `changed ${i}\n` }));
    let bigDoneAt = 0;
    const big = mcp.call('edit_file', { project: 'box', path: 'big.txt', edits }).then((r) => {
      bigDoneAt = Date.now();
      return r;
    });
    // measured from when the read was meant to be sent: a blocked event loop delays the timer too
    const asked = Date.now() + 100;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const tiny = await mcp.call('read_file', { project: 'box', path: 'src/a.ts', offset: 1, limit: 1 });
    const tinyDoneAt = Date.now();
    const waited = tinyDoneAt - asked;
    const done = await big;
    expect(textOf(tiny)).toBe('export const a = 1;\n');
    expect(done.isError ?? false, textOf(done)).toBe(false);
    // the read came back at once, while the edit was still running
    expect(waited).toBeLessThan(1000);
    expect(tinyDoneAt).toBeLessThan(bigDoneAt);
    expect(readFileSync(join(root, 'big.txt'), 'utf8')).toBe(lines.map((_, i) => `changed ${i}\n`).join(''));

    const tooMany = await refused('edit_file', {
      path: 'big.txt',
      edits: Array.from({ length: 10_000 }, (_, i) => ({ old_text: `changed ${i}\n`, new_text: 'x' })),
    });
    expect(tooMany).toMatch(/^10000 edits in one call is over the limit of 1000/);
  }, 120_000);

  it('names stored as NFD are found when asked for as NFC, and look-alikes are listed distinguishably', async () => {
    mkdirSync(join(root, 'uni'));
    writeFileSync(join(root, 'uni', 'cafe\u0301.txt'), 'decomposed\n');
    writeFileSync(join(root, 'uni', 'caf\u00e9-both.txt'), 'composed\n');
    writeFileSync(join(root, 'uni', 'cafe\u0301-both.txt'), 'decomposed twin\n');
    expect(textOf(await mcp.call('read_file', { project: 'box', path: 'uni/caf\u00e9.txt' }))).toBe(
      'decomposed\n',
    );
    // an exact match wins over a look-alike
    expect(textOf(await mcp.call('read_file', { project: 'box', path: 'uni/caf\u00e9-both.txt' }))).toBe(
      'composed\n',
    );
    expect(textOf(await mcp.call('read_file', { project: 'box', path: 'uni/cafe\u0301-both.txt' }))).toBe(
      'decomposed twin\n',
    );
    // two non-NFC spellings of the same NFC name: ambiguous, named distinguishably
    writeFileSync(join(root, 'uni', 'e\u0323\u0302.txt'), 'one\n');
    writeFileSync(join(root, 'uni', '\u1eb9\u0302.txt'), 'two\n');
    const ambiguous = await refused('read_file', { path: 'uni/\u1ec7.txt' });
    expect(ambiguous).toContain('"e\\u0323\\u0302.txt"');
    expect(ambiguous).toContain('"\u1eb9\\u0302.txt"');
    writeFileSync(Buffer.from(join(root, 'uni', 'bad-\xff.txt'), 'latin1'), 'bytes\n');

    const listed = await mcp.call('list_files', { project: 'box', path: 'uni' });
    const entries = (listed.structuredContent as { entries: Record<string, unknown>[] }).entries;
    expect(entries).toContainEqual(expect.objectContaining({ path: 'uni/caf\u00e9-both.txt' }));
    expect(entries.find((e) => e.path === 'uni/caf\u00e9-both.txt')).not.toHaveProperty('escaped');
    expect(entries).toContainEqual(
      expect.objectContaining({ path: 'uni/cafe\u0301-both.txt', escaped: 'uni/cafe\\u0301-both.txt' }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        path: 'uni/bad-\\xff.txt',
        escaped: 'uni/bad-\\xff.txt',
        not_utf8: true,
        size: 6,
      }),
    );
    const text = textOf(listed);
    expect(text).toContain('uni/cafe\\u0301-both.txt (16 bytes) [name not NFC');
    expect(text).toContain('uni/caf\u00e9-both.txt (9 bytes)\n');
    expect(text).toContain('uni/bad-\\xff.txt (6 bytes) [name not UTF-8]');
    // a write by the NFC name goes to the one NFD file, instead of making a look-alike
    await structured('write_file', { path: 'uni/caf\u00e9.txt', content: 'rewritten\n' });
    expect(readFileSync(join(root, 'uni', 'cafe\u0301.txt'), 'utf8')).toBe('rewritten\n');
    expect(existsSync(join(root, 'uni', 'caf\u00e9.txt'))).toBe(false);
  });

  it('read_multiple_files: each file its content or its own error, within the total cap', async () => {
    const r = await structured('read_multiple_files', {
      paths: [
        'src/a.ts',
        '/etc/passwd',
        '../outside/secret.txt',
        'leak',
        '.git/config',
        'docs-git/config',
        'nope.txt',
        'docs/readme.md',
      ],
    });
    const files = r.files as { path: string; content?: string; error?: string }[];
    expect(files.map((f) => f.content ?? null)).toEqual([
      'export const a = 1;\n',
      null,
      null,
      null,
      null,
      null,
      null,
      '# docs\nsee src/a.ts\n',
    ]);
    expect(files[1]!.error).toMatch(/absolute/);
    expect(files[2]!.error).toMatch(/leaves the project/);
    expect(files[3]!.error).toMatch(/symbolic link to a place outside/);
    expect(files[4]!.error).toMatch(/reaches into \.git/);
    expect(files[5]!.error).toMatch(/reaches into \.git/);
    expect(files[6]!.error).toMatch(/does not exist/);
    expect(JSON.stringify(r)).not.toContain('HOST SECRET');
    expect(r.total_bytes).toBe(20 + 20);

    writeFileSync(join(root, 'six-a.txt'), 'a'.repeat(600));
    writeFileSync(join(root, 'six-b.txt'), 'b'.repeat(600));
    const capped = await structured(
      'read_multiple_files',
      { paths: ['six-a.txt', 'six-b.txt', 'src/a.ts'] },
      small,
    );
    const cf = capped.files as { content?: string; error?: string }[];
    expect(cf[0]!.content).toHaveLength(600);
    expect(cf[1]!.error).toMatch(/only 400 of the 1000 bytes one call returns are left/);
    expect(cf[2]!.content).toBe('export const a = 1;\n');
    expect(capped.total_bytes).toBe(620);
    const tooMany = await mcp.call('read_multiple_files', {
      project: 'box',
      paths: Array(51).fill('src/a.ts'),
    });
    expect(tooMany.isError).toBe(true);
  });

  it('directory_tree: nested, .gitignore honoured, .git never shown, links shown not followed, cuts said', async () => {
    const r = await structured('directory_tree', { path: 'src' });
    expect(r).toEqual({
      tree: {
        name: 'src',
        type: 'folder',
        children: [
          { name: 'a.ts', type: 'file', size: 20 },
          { name: 'lib', type: 'folder', children: [{ name: 'b.ts', type: 'file', size: 20 }] },
        ],
      },
      entries: 3,
      truncated: false,
      depth_limited: false,
    });
    const all = await structured('directory_tree', {});
    const top = (
      all.tree as { children: { name: string; type: string; target?: string; children?: unknown[] }[] }
    ).children;
    const names = top.map((c) => c.name);
    expect(names).not.toContain('.git');
    expect(names).not.toContain('build');
    expect(top.find((c) => c.name === 'leakdir')).toEqual({
      name: 'leakdir',
      type: 'symlink',
      target: outside,
    });
    // the link's target is shown as written; nothing behind it is listed
    expect(JSON.stringify(all)).not.toContain('"secret.txt"');
    const unignored = await structured('directory_tree', { gitignore: false, max_depth: 1 });
    const shallow = (unignored.tree as { children: { name: string; children_not_shown?: boolean }[] })
      .children;
    expect(shallow.find((c) => c.name === 'build')).toEqual({
      name: 'build',
      type: 'folder',
      children_not_shown: true,
    });
    expect(shallow.map((c) => c.name)).not.toContain('.git');
    expect(unignored.depth_limited).toBe(true);
    const capped = await structured('directory_tree', { max_entries: 2 });
    expect(capped).toMatchObject({ entries: 2, truncated: true });
    for (const path of ['/etc', '..', 'leakdir', '.git', 'docs-git', 'src/../..'])
      await refused('directory_tree', { path });
  });

  it('get_file_info: files, folders and links (not followed, judged inside or not)', async () => {
    chmodSync(join(root, 'src', 'a.ts'), 0o640);
    const file = await structured('get_file_info', { path: 'src/a.ts' });
    expect(file).toMatchObject({
      path: 'src/a.ts',
      real_path: 'src/a.ts',
      type: 'file',
      size: 20,
      mode: '0640',
      links: 1,
    });
    expect(new Date(file.mtime as string).toISOString()).toBe(file.mtime);
    expect(file).toHaveProperty('ctime');
    expect(file).toHaveProperty('atime');
    expect(await structured('get_file_info', { path: '.' })).toMatchObject({
      type: 'folder',
      real_path: '.',
    });
    expect(await structured('get_file_info', { path: 'src/lib' })).toMatchObject({ type: 'folder' });
    const leak = await structured('get_file_info', { path: 'leak' });
    expect(leak).toMatchObject({
      type: 'symlink',
      link_target: join(outside, 'secret.txt'),
      target_inside: false,
    });
    expect(leak.target_refused).toMatch(/outside the project/);
    expect(await structured('get_file_info', { path: 'inner' })).toMatchObject({
      type: 'symlink',
      link_target: 'src/a.ts',
      target_inside: true,
      target_path: 'src/a.ts',
    });
    const git = await structured('get_file_info', { path: 'docs-git' });
    expect(git).toMatchObject({ type: 'symlink', target_inside: false });
    for (const path of [
      '/etc/passwd',
      '../outside',
      'leakdir/secret.txt',
      '.git/config',
      '.git',
      'docs-git/config',
    ])
      await refused('get_file_info', { path });
  });

  it('create_folder: makes parents, is idempotent, and never lands outside or in .git', async () => {
    expect(await structured('create_folder', { path: 'made/a/b' })).toEqual({
      path: 'made/a/b',
      created: true,
    });
    expect(await structured('create_folder', { path: 'made/a/b' })).toEqual({
      path: 'made/a/b',
      created: false,
    });
    expect(readdirSync(join(root, 'made', 'a'))).toEqual(['b']);
    expect(await refused('create_folder', { path: 'src/a.ts' })).toMatch(/is a file, not a folder/);
    await refused('create_folder', { path: '/tmp/berth-made' });
    await refused('create_folder', { path: '../made-outside' });
    await refused('create_folder', { path: 'leakdir/sub' });
    await refused('create_folder', { path: '.git/hooks/x' });
    await refused('create_folder', { path: 'docs-git/x' });
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    expect(existsSync(join(t.dir, 'made-outside'))).toBe(false);
    expect(readdirSync(join(root, '.git', 'hooks'))).toEqual([]);
  });

  it('read_media_file: images and audio as MCP content, by their bytes; anything else refused', async () => {
    const png = await mcp.call('read_media_file', { project: 'box', path: 'media/dot.png' });
    expect(png.isError ?? false, textOf(png)).toBe(false);
    expect(png.content[0]).toEqual({
      type: 'image',
      mimeType: 'image/png',
      data: readFileSync(join(root, 'media', 'dot.png')).toString('base64'),
    });
    expect(png.structuredContent).toMatchObject({ kind: 'image', mime_type: 'image/png' });
    const jpeg = await mcp.call('read_media_file', { project: 'box', path: 'media/photo-really-jpeg.png' });
    expect(jpeg.content[0]).toMatchObject({ type: 'image', mimeType: 'image/jpeg' });
    expect(textOf(jpeg)).toContain('its bytes are image/jpeg');
    expect(
      (await mcp.call('read_media_file', { project: 'box', path: 'media/anim.gif' })).content[0],
    ).toMatchObject({
      type: 'image',
      mimeType: 'image/gif',
    });
    const wav = await mcp.call('read_media_file', { project: 'box', path: 'media/beep.wav' });
    expect(wav.content[0]).toMatchObject({ type: 'audio', mimeType: 'audio/wav' });
    expect(await refused('read_media_file', { path: 'media/logo.svg' })).toMatch(
      /SVG .* read it with read_file/,
    );
    expect(await refused('read_media_file', { path: 'media/notes.png' })).toMatch(/is not a PNG, JPEG/);
    const big = await small.call('read_media_file', { project: 'box', path: 'media/beep.wav' });
    expect(textOf(big)).toMatch(/over the 40-byte limit for media files/);
    for (const path of ['/etc/passwd', '../outside/secret.txt', 'leak', '.git/config', 'docs-git/config'])
      await refused('read_media_file', { path });
  });
});
