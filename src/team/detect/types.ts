/**
 * What team detection finds in a cloned repository: one entry per app that a preview container
 * can serve. Commands hold the placeholder `$PORT` (see `fillPort` in dev-command.ts).
 */
export type AppRuntime = 'node' | 'python' | 'static';

export type KnownFramework =
  | 'vite'
  | 'vite-react'
  | 'nextjs'
  | 'create-react-app'
  | 'express'
  | 'node'
  | 'django'
  | 'flask'
  | 'fastapi'
  | 'static';

export interface DevCommand {
  /** Run through `sh -c` in the app's folder; `$PORT` is the preview port. */
  command: string;
  /** Set for the dev server; a value may hold `$PORT` too. */
  env: Record<string, string>;
}

export interface HotReload {
  /** What turns on file-watch polling for this dev server, when inotify events do not arrive. */
  pollingEnv: Record<string, string>;
  /** How polling and allowed hosts are set without editing the repository, and known limits. */
  notes: string[];
  /** The framework's own config file that a berth wrapper config must import (vite, next). */
  configFile?: string;
}

export interface DetectedApp {
  /** Folder of the app relative to the repository root ('' = the root), '/'-separated. */
  root: string;
  /** A short stable id: 'web', 'api', or the folder name; unique within the repository. */
  name: string;
  /** One of KnownFramework, or another `@vercel/frameworks` slug (astro, nuxtjs, ...). */
  framework: KnownFramework | (string & {});
  runtime: AppRuntime;
  /** The dev server command (with $PORT to fill in); it listens on 0.0.0.0. */
  dev: DevCommand;
  /** Install command, when the app has dependencies to install (none for python: see README). */
  install?: string;
  /** Where `install` runs, relative to the repository root, when not `root` (a workspace package). */
  installRoot?: string;
  /** What matched: files and rules, human readable. */
  evidence: string[];
  /** 0..1: how sure the rule that matched is. */
  confidence: number;
  hotReload: HotReload;
}

export interface DetectResult {
  apps: DetectedApp[];
  /** The rules that were checked, for the "no detectable app" error. */
  lookedFor: string[];
  /** The folders that were examined ('.' = the root), in order. */
  searched: string[];
  /** Files or folders that could not be read (too large, a link out of the repository, ...). */
  problems: string[];
}

export interface DetectOptions {
  /** How many folder levels below the root candidate apps may sit (default 3). */
  maxDepth?: number;
}
