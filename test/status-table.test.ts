import { describe, expect, it } from 'vitest';
import { statusTable } from '../src/cli/status-table.js';
import type { MemberStatus, ProjectStatus } from '../src/hub/projects.js';

const member = (role: MemberStatus['role'], extra: Partial<MemberStatus> = {}): MemberStatus => ({
  role,
  state: 'running',
  health: 'none',
  containerId: `${role}-id`,
  uptimeSeconds: 5,
  ports: [],
  ...extra,
});

const project = (name: string, members: MemberStatus[]): ProjectStatus => ({
  name,
  state: 'running',
  health: 'none',
  containerId: 'project-id',
  image: 'img',
  uptimeSeconds: 5,
  path: `/w/${name}`,
  engineState: 'running',
  members,
});

describe('berth status as text', () => {
  it('one row per project while every unit is its project container alone (as before units)', () => {
    expect(statusTable([project('web', [member('project')])]).split('\n')).toEqual([
      'NAME  STATE    HEALTH  CONTAINER   IMAGE  UPTIME  PATH',
      'web   running  none    project-id  img    5s      /w/web',
    ]);
  });

  it('one row per member, with its role, health and published ports, once a unit has more', () => {
    const rows = statusTable([
      project('web', [
        member('project'),
        member('preview', {
          health: 'healthy',
          ports: [{ containerPort: 8080, host: '127.0.0.1', hostPort: 49153 }],
        }),
      ]),
      project('api', [member('project')]),
    ]).split('\n');
    expect(rows[0]!.split(/\s+/)).toEqual([
      'NAME',
      'ROLE',
      'STATE',
      'HEALTH',
      'CONTAINER',
      'IMAGE',
      'UPTIME',
      'PORTS',
      'PATH',
    ]);
    expect(rows.slice(1).map((r) => r.split(/\s+/))).toEqual([
      ['web', 'project', 'running', 'none', 'project-id', 'img', '5s', '-', '/w/web'],
      ['web', 'preview', 'running', 'healthy', 'preview-id', '-', '5s', '127.0.0.1:49153->8080', '-'],
      ['api', 'project', 'running', 'none', 'project-id', 'img', '5s', '-', '/w/api'],
    ]);
  });
});
