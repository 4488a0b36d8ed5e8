import { createServer } from 'node:http';
import { slugify } from './slug.js';

const port = Number(process.env.PORT ?? 3000);
createServer((req, res) => {
  const title = new URL(req.url ?? '/', 'http://localhost').searchParams.get('title') ?? '';
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ slug: slugify(title) }));
}).listen(port, () => console.log(`listening on ${port}`));
