import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, UnavailableError } from '@x0/core';
import { OpenAiCompatibleEmbedder } from './openai-compatible-embedder';

/** A real HTTP server on 127.0.0.1:0 speaking the OpenAI embeddings shape; `mode` switches its behaviour. */
describe('OpenAiCompatibleEmbedder against a local HTTP server', () => {
  let server: http.Server;
  let url: string;
  let mode: 'ok' | 'error' | 'short' | 'garbage' = 'ok';
  const requests: Array<{ path: string; auth?: string; body: { model: string; input: string[] } }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const body = JSON.parse(raw);
        requests.push({ path: req.url!, auth: req.headers.authorization, body });
        if (mode === 'error') return void res.writeHead(503).end('overloaded');
        if (mode === 'garbage') return void res.writeHead(200).end('<html>');
        const input: string[] = mode === 'short' ? body.input.slice(1) : body.input;
        // Reverse order with explicit indexes: the client must reorder by `index`.
        const data = input.map((t, index) => ({ index, embedding: [t.length, 1, 0] })).reverse();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    mode = 'ok';
    requests.length = 0;
  });

  it('embed - posts model and inputs in batches, normalises and keeps order', async () => {
    const e = new OpenAiCompatibleEmbedder({ url, model: 'nomic-embed-text', apiKey: 'k', batchSize: 2 });
    const out = await e.embed(['abc', 'a', 'abcd']);
    expect(requests.map((r) => [r.path, r.auth, r.body])).toEqual([
      ['/v1/embeddings', 'Bearer k', { model: 'nomic-embed-text', input: ['abc', 'a'] }],
      ['/v1/embeddings', 'Bearer k', { model: 'nomic-embed-text', input: ['abcd'] }],
    ]);
    expect(out.map((v) => Array.from(v).map((x) => +x.toFixed(4)))).toEqual([
      [+(3 / Math.sqrt(10)).toFixed(4), +(1 / Math.sqrt(10)).toFixed(4), 0],
      [+(1 / Math.sqrt(2)).toFixed(4), +(1 / Math.sqrt(2)).toFixed(4), 0],
      [+(4 / Math.sqrt(17)).toFixed(4), +(1 / Math.sqrt(17)).toFixed(4), 0],
    ]);
    expect(e.dim).toBe(3);
  });

  it('errors - status, wrong count, non-JSON, dimension mismatch, unreachable, empty text', async () => {
    const e = new OpenAiCompatibleEmbedder({ url: `${url}/v1`, model: 'm' });
    mode = 'error';
    await expect(e.embed(['x'])).rejects.toThrow(new UnavailableError(`embeddings endpoint ${url}/v1/embeddings answered 503: overloaded`));
    mode = 'short';
    await expect(e.embed(['x', 'y'])).rejects.toThrow('returned 1 embeddings for 2 inputs');
    mode = 'garbage';
    await expect(e.embed(['x'])).rejects.toThrow('answered with a body that is not JSON');
    mode = 'ok';
    await expect(new OpenAiCompatibleEmbedder({ url, model: 'm', dim: 8 }).embed(['x'])).rejects.toThrow('returned 3 dimensions, expected 8');
    await expect(new OpenAiCompatibleEmbedder({ url: 'http://127.0.0.1:1', model: 'm' }).embed(['x'])).rejects.toThrow(UnavailableError);
    await expect(e.embed([''])).rejects.toThrow(InvalidArgumentError);
    expect(await new OpenAiCompatibleEmbedder({ url, model: 'm' }).probe()).toBe(3);
  });
});
