import { BerthError } from '../errors.js';

/** Where a workspace lives in every container berth makes: the one definition of that path. */
const CONTAINER_ROOT = '/workspace';

/**
 * How a workspace is placed: `bind` (the host folder mounted, the fast path), `volume` (a
 * named volume the host cannot see), `synced` (a volume kept in two-way sync with the host
 * folder).
 */
export type PlacementKind = 'bind' | 'volume' | 'synced';

/** What a container mounts at the workspace root. */
export type WorkspaceMount =
  { kind: 'bind'; source: string; target: string } | { kind: 'volume'; name: string; target: string };

/**
 * One value per project or session that knows where its files are on each side: the host
 * folder (when the host has one), the container path, and the `file://` URIs a language server
 * in the container speaks. It is the only code that knows the container path.
 */
export class WorkspacePlacement {
  private constructor(
    readonly kind: PlacementKind,
    /** The host folder: the bind mount's source, or the synced copy; none for a plain volume. */
    readonly hostRoot: string | undefined,
    /** A named volume's name, for `volume` and `synced`. */
    readonly volume: string | undefined,
    readonly containerRoot: string = CONTAINER_ROOT,
  ) {}

  /** Where a configured project's files are (today always its folder, bind-mounted). */
  static forProject(project: { path: string }): WorkspacePlacement {
    return WorkspacePlacement.bind(project.path);
  }

  static bind(hostRoot: string): WorkspacePlacement {
    return new WorkspacePlacement('bind', hostRoot, undefined);
  }

  static volume(name: string): WorkspacePlacement {
    return new WorkspacePlacement('volume', undefined, name);
  }

  static synced(hostRoot: string, volume: string): WorkspacePlacement {
    return new WorkspacePlacement('synced', hostRoot, volume);
  }

  /** The container's working directory for project-relative components (none: the root). */
  containerPath(components: readonly string[] = []): string {
    return components.length === 0 ? this.containerRoot : `${this.containerRoot}/${components.join('/')}`;
  }

  /**
   * Components below the root for a container path (`/workspace/a/b` → ['a', 'b'], the root
   * itself → []); undefined for a path elsewhere. `.` and empty parts are skipped; `..` is not
   * resolved here (the confined walk judges it against the real tree).
   */
  fromContainerPath(path: string): string[] | undefined {
    if (!path.startsWith('/')) return undefined;
    const parts = path.split('/').filter((p) => p !== '' && p !== '.');
    const root = this.rootComponents();
    if (root.some((name, i) => parts[i] !== name)) return undefined;
    return parts.slice(root.length);
  }

  /** The host folder; a clear error for a workspace the host cannot see. */
  hostPath(): string {
    if (this.hostRoot === undefined) {
      throw new BerthError(
        'INVALID_ARGUMENT',
        'this workspace is a volume with no host folder; its files are reached through the container',
      );
    }
    return this.hostRoot;
  }

  /** The container path's components, for link resolution (absolute links under it stay inside). */
  rootComponents(): string[] {
    return this.containerRoot.split('/').filter((p) => p !== '');
  }

  /** `file:///workspace/src/a%20b.ts`: the URI a language server in the container uses. */
  toUri(components: readonly string[]): string {
    const path = this.containerPath(components);
    return `file://${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Components for a `file://` URI inside the workspace; undefined for any other URI. */
  fromUri(uri: string): string[] | undefined {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'file:' || (url.host !== '' && url.host !== 'localhost')) return undefined;
    let path: string;
    try {
      path = url.pathname.split('/').map(decodeURIComponent).join('/');
    } catch {
      return undefined;
    }
    if (path.includes('\0')) return undefined;
    return this.fromContainerPath(path);
  }

  /** The bind mount of a `bind` placement; a clear error for the kinds that have none. */
  bindMount(): { source: string; target: string } {
    if (this.kind !== 'bind') {
      throw new BerthError(
        'UNSUPPORTED',
        `a ${this.kind} workspace is not a bind mount; this container cannot be given one yet`,
      );
    }
    return { source: this.hostPath(), target: this.containerRoot };
  }

  /** What the container mounts at its workspace root. */
  mount(): WorkspaceMount {
    if (this.kind === 'bind') return { kind: 'bind', source: this.hostPath(), target: this.containerRoot };
    return { kind: 'volume', name: this.volume!, target: this.containerRoot };
  }
}
