import http from 'node:http';

/**
 * The bench's HTTP client: node:http on one keep-alive agent. The bench shares the machine's cores
 * with the host it measures, and `fetch` (undici) cost it about twice the CPU per request here, CPU
 * the host then lacked. What the host is asked and answers is the same either way.
 */
const agent = new http.Agent({ keepAlive: true });

export interface BenchResponse {
  status: number;
  text: string;
}

export function request(url: string, options: { method?: string; json?: unknown } = {}): Promise<BenchResponse> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent,
        headers:
          body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** GET and parse JSON. */
export async function getJson<T>(url: string): Promise<T> {
  const response = await request(url);
  return JSON.parse(response.text) as T;
}
