import { join } from 'node:path';
import type { Listen } from '../../ops/http/ops-server.js';
import type { Command } from 'commander';
import { BerthError } from '../../errors.js';
import { loadOrCreateToken } from '../../http/token.js';
import { OPS_SOCKET, OPS_TOKEN_FILE } from '../../ops/ops-endpoint.js';
import type { GlobalOptions } from '../context.js';
import { progress } from '../output.js';

function parseListen(value: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535) {
    throw new BerthError('INVALID_ARGUMENT', `--listen ${value}: use host:port, e.g. 127.0.0.1:9000`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

export function registerOpsCommand(program: Command): void {
  const ops = program
    .command('ops')
    .description('the ops side-car: the only process that holds the engine socket');
  ops
    .command('serve')
    .description('serve POST /run and friends on a unix socket (default) or loopback TCP')
    .option('--socket <path>', `unix socket to listen on (default: BERTH_HOME/${OPS_SOCKET}, mode 0600)`)
    .option('--listen <host:port>', 'listen on TCP instead, e.g. 127.0.0.1:9000')
    .option(
      '--token <token>',
      `bearer token (default: generated once, stored in BERTH_HOME/${OPS_TOKEN_FILE})`,
    )
    .action(async (opts: { socket?: string; listen?: string; token?: string }, cmd: Command) => {
      if (opts.socket !== undefined && opts.listen !== undefined) {
        throw new BerthError('INVALID_ARGUMENT', 'give --socket or --listen, not both');
      }
      const { openContext } = await import('../context.js');
      await using ctx = openContext(cmd.optsWithGlobals<GlobalOptions>());
      const { home } = ctx;
      const token =
        opts.token ?? process.env.BERTH_OPS_TOKEN ?? loadOrCreateToken(home, OPS_TOKEN_FILE).token;
      if (token.length < 16)
        throw new BerthError('INVALID_ARGUMENT', 'the token must be at least 16 characters');
      const listen: Listen =
        opts.listen !== undefined
          ? parseListen(opts.listen)
          : { socket: opts.socket ?? join(home, OPS_SOCKET) };
      const [{ startOpsServer }, { OpsPolicy }, { OpsService }] = await Promise.all([
        import('../../ops/http/ops-server.js'),
        import('../../ops/ops-policy.js'),
        import('../../ops/ops-service.js'),
      ]);
      const { runtime } = ctx;
      await runtime.ping();
      const runs = ctx.store.opsRuns(ctx.config.hubId);
      const service = new OpsService({
        hub: ctx.hub,
        runtime,
        runs,
        policy: new OpsPolicy(ctx.config.ops),
        logger: ctx.logger,
      });
      const running = await startOpsServer(
        { service, runs, runtime, hub: ctx.hub, logger: ctx.logger },
        listen,
        token,
      );
      const sync = await ctx.sync();
      const { keepInSync } = await import('../../app/keep-in-sync.js');
      const stopProjectSync = await keepInSync(sync, ctx.logger);
      // synced team work trees too, the same way
      const stopTeamSync = await keepInSync(await (await ctx.teams()).syncService(), ctx.logger);
      const stopSync = async () => {
        await stopProjectSync();
        await stopTeamSync();
      };
      progress(`berth ops side-car on ${running.url}`);
      progress(
        opts.token !== undefined || process.env.BERTH_OPS_TOKEN
          ? 'token: as given'
          : `token in ${join(home, OPS_TOKEN_FILE)}`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await running.close();
      await stopSync();
    });
}
