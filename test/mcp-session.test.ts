import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sessions } from '../src/sessions/sessions.js';
import { silentLogger } from '../src/logger.js';
import { makeGitProject } from './helpers/git-project.js';
import { connectInMemory, textOf } from './helpers/mcp-connect.js';
import { createTestHub } from './helpers/test-hub.js';

describe('sessions over MCP', () => {
  it('start, work through the usual tools with session in place of project, review, apply', async () => {
    await using t = createTestHub({ projects: { app: { path: './app', image: 'berth-test/busybox' } } });
    makeGitProject(join(t.dir, 'app'));
    const sessions = new Sessions({
      runtime: t.runtime,
      table: t.store.sessions(),
      logger: silentLogger(),
      home: t.home,
    });
    await using mcp = await connectInMemory(t.hub, sessions);

    const started = await mcp.call('session_start', { project: 'app', runtime: 'runc' });
    expect(started.isError ?? false, textOf(started)).toBe(false);
    const id = (started.structuredContent as { session: string }).session;

    const wrote = await mcp.call('write_file', {
      session: id,
      path: 'src/new.ts',
      content: 'export const x = 1;\n',
    });
    expect(wrote.isError ?? false, textOf(wrote)).toBe(false);
    await mcp.call('edit_file', {
      session: id,
      path: 'src/app.txt',
      edits: [{ old_text: 'line one', new_text: 'line 1' }],
    });
    const ran = await mcp.call('run_command', {
      session: id,
      command: 'echo built > out.txt; cat src/new.ts',
    });
    expect(ran.structuredContent).toMatchObject({ exit_code: 0, stdout: 'export const x = 1;\n' });
    // reading changes nothing, so it is no step
    expect(textOf(await mcp.call('read_file', { session: id, path: 'out.txt' }))).toBe('built\n');
    const both = await mcp.call('read_file', { project: 'app', session: id, path: 'x' });
    expect(textOf(both)).toBe('Give one of project, session or team (exactly one of them).');

    // the other file tools work on the sandbox too
    const made = await mcp.call('create_folder', { session: id, path: 'made/empty' });
    expect(made.structuredContent).toMatchObject({ created: true });
    const many = await mcp.call('read_multiple_files', {
      session: id,
      paths: ['src/new.ts', 'out.txt', 'nope'],
    });
    expect(
      (many.structuredContent as { files: { path: string; content?: string; error?: string }[] }).files,
    ).toEqual([
      expect.objectContaining({ path: 'src/new.ts', content: 'export const x = 1;\n' }),
      expect.objectContaining({ path: 'out.txt', content: 'built\n' }),
      expect.objectContaining({ path: 'nope', error: expect.stringMatching(/does not exist/) }),
    ]);
    const info = await mcp.call('get_file_info', { session: id, path: 'made' });
    expect(info.structuredContent).toMatchObject({ type: 'folder' });
    expect(textOf(await mcp.call('directory_tree', { session: id, path: 'made' }))).toContain('empty');

    const log = await mcp.call('session_log', { session: id });
    expect((log.structuredContent as { steps: { message: string }[] }).steps.map((s) => s.message)).toEqual([
      'session baseline',
      'write_file src/new.ts',
      'edit_file src/app.txt',
      'run_command "echo built > out.txt; cat src/new.ts" (exit 0)',
    ]);
    expect(textOf(await mcp.call('session_diff', { session: id, stat: true }))).toMatch(/3 files changed/);
    // the host is untouched until apply
    expect(readFileSync(join(t.dir, 'app', 'src', 'app.txt'), 'utf8')).toBe('line one\nuncommitted line\n');

    writeFileSync(join(t.dir, 'app', 'out.txt'), 'the user made this meanwhile\n');
    const applied = await mcp.call('session_apply', { session: id });
    expect(applied.structuredContent).toMatchObject({
      written: ['src/app.txt', 'src/new.ts'],
      conflicts: [{ path: 'out.txt', sessionCopy: `out.txt.berth-session-${id}` }],
    });
    expect(readFileSync(join(t.dir, 'app', 'src', 'app.txt'), 'utf8')).toBe('line 1\nuncommitted line\n');
    expect(readFileSync(join(t.dir, 'app', 'out.txt'), 'utf8')).toBe('the user made this meanwhile\n');
    // a folder the session made (empty, so no step of its own) arrives with the apply
    expect(statSync(join(t.dir, 'app', 'made', 'empty')).isDirectory()).toBe(true);
    expect(execFileSync('git', ['-C', join(t.dir, 'app'), 'status', '--porcelain']).toString()).toContain(
      'src/new.ts',
    );

    const gone = await mcp.call('write_file', { session: id, path: 'x', content: 'y' });
    expect(textOf(gone)).toMatch(/^Session "s-[0-9a-f]+" is applied; start a new one/);
    // an ended session's history went with its sandbox: said plainly, no host path, no git error
    for (const tool of ['session_log', 'session_diff']) {
      const ended = await mcp.call(tool, { session: id });
      expect(ended.isError, tool).toBe(true);
      expect(textOf(ended)).toMatch(
        /^Session "s-[0-9a-f]+" ended \(applied at \d{4}-.*\) and its sandbox was removed/,
      );
      expect(textOf(ended)).not.toContain(t.home);
      expect(textOf(ended)).not.toMatch(/git|\/tmp|fatal/);
    }
  });
});
