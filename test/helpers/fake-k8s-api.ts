/**
 * A Kubernetes API server's few endpoints `submit k8s --apply` uses, on node:http, for tests: it
 * records every request (method, path, bearer token, body), creates ConfigMaps and Jobs (409
 * AlreadyExists for a name it has), and answers a Job's status from a script, one entry per look,
 * the last repeated. `answer` makes every request fail with that status, as a server that refuses
 * the user. kubeconfig() writes a kubeconfig whose current context points at it.
 */
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface RecordedRequest {
  method: string;
  path: string;
  token: string | null;
  body?: Record<string, unknown>;
}

export interface FakeK8sOptions {
  /** Each Job's `status` objects, one per look; a number answers that look with that HTTP status. */
  statuses: Record<string, (Record<string, unknown> | number)[]>;
  /** Objects that exist before the first request, as "<namespace>/<name>". */
  existing?: string[];
  /** Every request answered with this HTTP status (401, 403). */
  answer?: number;
}

export interface FakeK8sApi {
  server: string;
  requests: RecordedRequest[];
  /** Writes a kubeconfig for this server (context "fake", user token "t0ken") to `path`. */
  kubeconfig(path: string, namespace?: string): string;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'AlreadyExists',
  503: 'ServiceUnavailable',
};

function reply(res: ServerResponse, code: number, body: Record<string, unknown>): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function failure(res: ServerResponse, code: number, message: string): void {
  reply(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: REASONS[code], message, code });
}

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

export async function startFakeK8sApi(o: FakeK8sOptions): Promise<FakeK8sApi> {
  const requests: RecordedRequest[] = [];
  const created = new Set(o.existing ?? []);
  const looks = new Map<string, number>();
  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '';
      const auth = req.headers.authorization ?? '';
      const body = await bodyOf(req);
      requests.push({
        method: req.method ?? '',
        path,
        token: auth.replace(/^Bearer /, '') || null,
        ...(body && { body }),
      });
      if (o.answer !== undefined) return failure(res, o.answer, `the fake server answers ${o.answer}`);
      const create = /^\/apis?\/(?:v1|batch\/v1)\/namespaces\/([^/]+)\/(configmaps|jobs)$/.exec(path);
      if (req.method === 'POST' && create && body) {
        const key = `${create[1]}/${(body.metadata as { name: string }).name}`;
        if (created.has(key)) return failure(res, 409, `${create[2]} "${key}" already exists`);
        created.add(key);
        return reply(res, 201, body);
      }
      const status = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs\/([^/]+)\/status$/.exec(path);
      if (req.method === 'GET' && status && created.has(`${status[1]}/${status[2]}`)) {
        const script = o.statuses[status[2]] ?? [{}];
        const look = looks.get(status[2]) ?? 0;
        looks.set(status[2], look + 1);
        const answer = script[Math.min(look, script.length - 1)];
        if (typeof answer === 'number') return failure(res, answer, `the fake server answers ${answer}`);
        return reply(res, 200, { kind: 'Job', metadata: { name: status[2] }, status: answer });
      }
      failure(res, 404, `${req.method} ${path}: not found`);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server: url,
    requests,
    kubeconfig(path, namespace) {
      const config = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'fake-cluster', cluster: { server: url } }],
        users: [{ name: 'me', user: { token: 't0ken' } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake-cluster', user: 'me', ...(namespace && { namespace }) } }],
        'current-context': 'fake',
      };
      writeFileSync(path, stringify(config));
      return path;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
