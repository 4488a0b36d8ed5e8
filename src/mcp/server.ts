import { readFileSync } from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Workspaces, type McpDeps } from './deps.js';
import { registerCreateFolderTool } from './tools/create-folder.js';
import { registerDeletePathTool } from './tools/delete-path.js';
import { registerDirectoryTreeTool } from './tools/directory-tree.js';
import { registerGetFileInfoTool } from './tools/get-file-info.js';
import { registerEditFileTool } from './tools/edit-file.js';
import { registerListFilesTool } from './tools/list-files.js';
import { registerListProjectsTool } from './tools/list-projects.js';
import { registerMovePathTool } from './tools/move-path.js';
import { registerReadFileTool } from './tools/read-file.js';
import { registerReadMediaFileTool } from './tools/read-media-file.js';
import { registerReadMultipleFilesTool } from './tools/read-multiple-files.js';
import { registerRunCommandTool } from './tools/run-command.js';
import { registerRunTestsTool } from './tools/run-tests.js';
import { registerSearchFilesTool } from './tools/search-files.js';
import { registerWriteFileTool } from './tools/write-file.js';
import { registerSessionApplyTool } from './tools/session-apply.js';
import { registerSessionDiffTool } from './tools/session-diff.js';
import { registerSessionDiscardTool } from './tools/session-discard.js';
import { registerSessionLogTool } from './tools/session-log.js';
import { registerSessionStartTool } from './tools/session-start.js';
import { registerSyncTools } from './tools/sync-tools.js';
import { registerPreviewTools } from './tools/preview-tools.js';

const INSTRUCTIONS = `berth is a hub of projects; each runs in its own container with its own toolchain.
Start with list_projects. File tools take a project name and a path relative to that project's root.
run_command runs shell commands inside the project's container (the project folder is /workspace there);
run_tests runs every project's test command and reports one verdict.`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The berth MCP server, with every tool registered. Transports wrap it; it knows none of them. */
export function createServer(deps: McpDeps): McpServer {
  const server = new McpServer(
    { name: 'berth', version: version() },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  const workspaces = new Workspaces(deps);
  registerListProjectsTool(server, deps);
  registerReadFileTool(server, deps, workspaces);
  registerReadMultipleFilesTool(server, deps, workspaces);
  registerReadMediaFileTool(server, deps, workspaces);
  registerGetFileInfoTool(server, deps, workspaces);
  registerDirectoryTreeTool(server, deps, workspaces);
  registerCreateFolderTool(server, deps, workspaces);
  registerWriteFileTool(server, deps, workspaces);
  registerEditFileTool(server, deps, workspaces);
  registerListFilesTool(server, deps, workspaces);
  registerSearchFilesTool(server, deps, workspaces);
  registerDeletePathTool(server, deps, workspaces);
  registerMovePathTool(server, deps, workspaces);
  registerRunCommandTool(server, deps);
  registerRunTestsTool(server, deps);
  registerSessionStartTool(server, deps);
  registerSessionLogTool(server, deps);
  registerSessionDiffTool(server, deps);
  registerSessionApplyTool(server, deps);
  registerSessionDiscardTool(server, deps);
  registerSyncTools(server, deps);
  registerPreviewTools(server, deps);
  return server;
}
