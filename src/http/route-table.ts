import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './guarded-server.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The `:name` segments of the route's path, as sent (not percent-decoded). */
  params: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Segments, `:name` for a parameter: `/runs/:id/cancel`. */
  path: string;
  /** True when the handler reads the request body; other bodies are drained unread. */
  readsBody?: boolean;
  handle(ctx: RouteContext): Promise<void> | void;
}

/** A request handler that dispatches on method and path; anything unmatched goes to `notFound`. */
export function routeTable(routes: Route[], notFound: (ctx: RouteContext) => void): RequestHandler {
  const compiled = routes.map((route) => ({ route, segments: route.path.split('/').filter(Boolean) }));
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean);
    const method = req.method ?? 'GET';
    for (const { route, segments } of compiled) {
      if (route.method !== method) continue;
      const params = match(segments, parts);
      if (!params) continue;
      if (!route.readsBody) req.resume();
      return route.handle({ req, res, url, params });
    }
    req.resume();
    notFound({ req, res, url, params: {} });
  };
}

function match(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    const part = parts[i]!;
    if (segment.startsWith(':')) params[segment.slice(1)] = part;
    else if (segment !== part) return undefined;
  }
  return params;
}
