# The linkswitch sidecar: `linkswitch serve` beside HAProxy (see docker-compose.yml).
#
# Both base images are build arguments. The defaults are the official images; where no registry
# can be reached (`npm run demo`, the tests) they are images made from this machine's own node and
# haproxy binaries (scripts/local-images.ts), laid out like the official ones. No RUN step uses a
# shell, so the same file builds on either.
#
# The image packs this checkout's build: run `npm install && npm run build` first (`npm run demo` does).
# Nothing is downloaded while building.
ARG NODE_IMAGE=node:24-slim
ARG HAPROXY_IMAGE=haproxy:3.0

FROM ${HAPROXY_IMAGE} AS haproxy

# `haproxy -c` must run the very HAProxy build that serves traffic, so the sidecar takes the
# binary from the haproxy image, plus the shared libraries it links that the node image lacks.
FROM ${NODE_IMAGE} AS haproxy-libs
COPY --from=haproxy / /haproxy-root/
COPY docker/collect-libs.mjs /collect-libs.mjs
RUN ["node", "/collect-libs.mjs", "/haproxy-root", "/out"]

FROM ${NODE_IMAGE} AS app
WORKDIR /app
COPY package.json package-lock.json ./
COPY node_modules/ node_modules/
COPY docker/prune-dev-deps.mjs /prune-dev-deps.mjs
RUN ["node", "/prune-dev-deps.mjs", "/app"]
COPY templates/ templates/
COPY dist/ dist/

FROM ${NODE_IMAGE}
COPY --from=haproxy-libs /out/ /
COPY --from=haproxy /usr/local/sbin/haproxy /usr/local/sbin/haproxy
COPY --from=app /app/ /app/
COPY docker/linkswitch /usr/local/bin/linkswitch
COPY docker/own-volumes.mjs /app/own-volumes.mjs
# What is inside, as labels: the linkswitch version, Node's major line, HAProxy's major.minor
# line (the defaults match node:24-slim and haproxy:3.0). A label is fixed text, so the next step
# checks the three against the image and fails the build naming the argument to set; it also
# writes the exact versions to /app/versions.json.
ARG LINKSWITCH_VERSION=0.1.0
ARG NODE_LINE=24
ARG HAPROXY_LINE=3.0
LABEL org.opencontainers.image.title="linkswitch" \
      org.opencontainers.image.version="${LINKSWITCH_VERSION}" \
      io.linkswitch.node="${NODE_LINE}" \
      io.linkswitch.haproxy="${HAPROXY_LINE}"
COPY docker/image-versions.mjs /image-versions.mjs
RUN ["node", "/image-versions.mjs", "/app"]
# No LINKSWITCH_LOG_FORMAT: `serve` logs JSON because its stderr is no terminal, while a person's
# `docker compose exec linkswitch linkswitch deploy` gets the live step view, as on the host.
ENV NODE_ENV=production \
    LINKSWITCH_CONFIG=/etc/linkswitch/linkswitch.yml
# node is PID 1 and handles SIGTERM itself (finishes or abandons an in-flight deploy safely).
# The sidecar idles almost always and its work is I/O, so memory beats JIT speed: --lite-mode
# turns off V8's optimizing compilers (and WebAssembly, which nothing loaded here uses: see
# src/app/lean-modules.ts), and a 1 MB young generation keeps the heap small. Together about
# 20 MB less resident memory.
ENTRYPOINT ["node", "--lite-mode", "--max-semi-space-size=1", "/usr/local/bin/linkswitch"]
CMD ["serve"]
HEALTHCHECK --interval=2s --timeout=3s --start-period=120s --retries=3 CMD ["node", "/app/dist/sidecar/healthcheck.js"]
