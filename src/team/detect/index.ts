export { detectApps, describeNothingFound, LOOKED_FOR } from './detect-apps.js';
export { fillPort } from './dev-command.js';
export { APP_NAME } from './app-names.js';
export type {
  AppRuntime,
  DetectedApp,
  DetectOptions,
  DetectResult,
  DevCommand,
  HotReload,
  KnownFramework,
} from './types.js';
