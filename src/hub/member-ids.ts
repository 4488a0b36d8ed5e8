import type { ContainerRole } from '../runtime/labels.js';

/** Container ids of running unit members, by project and role; a stale one is dropped by its user. */
export class MemberIds {
  private readonly ids = new Map<string, string>();

  get(project: string, role: ContainerRole): string | undefined {
    return this.ids.get(key(project, role));
  }

  set(project: string, role: ContainerRole, id: string): void {
    this.ids.set(key(project, role), id);
  }

  /** Forgets one member, or every member of the project. */
  delete(project: string, role?: ContainerRole): void {
    if (role !== undefined) {
      this.ids.delete(key(project, role));
      return;
    }
    for (const k of [...this.ids.keys()]) if (k.startsWith(`${project}\0`)) this.ids.delete(k);
  }
}

function key(project: string, role: ContainerRole): string {
  return `${project}\0${role}`;
}
