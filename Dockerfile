# mm service image: paper trading on the bundled recording, SQLite under /app/data.
#   docker build -t mm .
#   docker run -d --name mm -p 127.0.0.1:8080:8080 -v mm-data:/app/data -e MM_API_TOKENS=... mm
FROM node:20-bookworm-slim AS build
# better-sqlite3 has no prebuilt binary for every platform: build it from source.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY events ./events
COPY machines ./machines
COPY projections ./projections
COPY recordings ./recordings
COPY tsconfig.json README.md ./

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/data && chown node:node /app/data
# Not root: the image's `node` user (uid 1000).
USER node
VOLUME ["/app/data"]
EXPOSE 8080
# SIGTERM: no new order, cancel and confirm every order, record the stop, close the store, exit 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Inside the container the API listens on all interfaces; publish it on the host's loopback only (-p 127.0.0.1:8080:8080).
CMD ["node", "bin/mm.js", "run", "--store", "sqlite:/app/data/events.db", "--host", "0.0.0.0", "--port", "8080"]
