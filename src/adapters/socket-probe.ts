import http from 'node:http';

// One GET on a unix socket, for the images' Docker HEALTHCHECKs (the sidecar's control socket,
// the Docker proxy's ping): true on a 200 within the timeout, false on anything else.

export function answersOk(socketPath: string, path: string, timeoutMs = 2_000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const request = http.get({ socketPath, path, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}
