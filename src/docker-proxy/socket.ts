/** Where `linkswitch docker-proxy` listens unless told otherwise (a volume shared with the sidecar). */
export const DEFAULT_PROXY_SOCKET = '/run/linkswitch-docker/docker.sock';
