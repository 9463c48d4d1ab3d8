import { createRequire } from 'node:module';
import type { AxiosAdapter, AxiosError, AxiosHeaders, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { LocalRequest, LocalResponse } from '../http/httpServer';

/** The parts of the app's own axios module this uses (types only: the module is the app's copy). */
interface AppAxios {
  defaults: { adapter?: InternalAxiosRequestConfig['adapter'] };
  getAdapter(adapters: InternalAxiosRequestConfig['adapter']): AxiosAdapter;
  getUri(config: InternalAxiosRequestConfig): string;
  AxiosHeaders: typeof AxiosHeaders;
  AxiosError: typeof AxiosError;
}

/** The axios module the app's `durable-functions` loads, or undefined when the app has none. */
function durableFunctionsAxios(appDir: string): AppAxios | undefined {
  try {
    const fromApp = createRequire(`${appDir}/`);
    const fromSdk = createRequire(fromApp.resolve('durable-functions'));
    return fromSdk('axios') as AppAxios;
  } catch {
    return undefined;
  }
}

/**
 * Sends the SDK's durable client calls to the host without HTTP. The SDK's DurableClient calls the
 * extension's API at the binding's `rpcBaseUrl` with axios, which on this host is the host's own
 * Durable HTTP API one socket away; here the app's axios gets an adapter that hands requests for
 * that prefix to the host through the worker's port (`send`), where the same routes answer them.
 * Everything else (the app's own axios calls) goes through the adapter axios had. What the app
 * sees is the same: the status, headers and body the API answers, checked by `validateStatus`.
 */
export function routeDurableClientToHost(
  appDir: string,
  prefix: string,
  send: (request: LocalRequest) => Promise<LocalResponse>,
): boolean {
  const axios = durableFunctionsAxios(appDir);
  if (axios === undefined || typeof axios.getAdapter !== 'function') return false;
  const original = axios.getAdapter(axios.defaults.adapter);
  axios.defaults.adapter = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    const url = axios.getUri(config);
    if (!url.startsWith(prefix)) return original(config);
    const target = new URL(url);
    const headers: Record<string, string> = { host: target.host };
    for (const [name, value] of Object.entries(axios.AxiosHeaders.from(config.headers).normalize(true).toJSON(true)))
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    const body = config.data === undefined || config.data === null ? undefined : String(config.data);
    const answer = await send({
      method: (config.method ?? 'get').toUpperCase(),
      url: target.pathname + target.search,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const response: AxiosResponse = {
      data: answer.body,
      status: answer.status,
      statusText: answer.statusText,
      headers: axios.AxiosHeaders.from(answer.headers),
      config,
      request: undefined,
    };
    if (config.validateStatus && !config.validateStatus(answer.status)) {
      const code = answer.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST';
      throw new axios.AxiosError(`Request failed with status code ${answer.status}`, code, config, undefined, response);
    }
    return response;
  };
  return true;
}
