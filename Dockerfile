# A Baton node: the node process (backup service + coordinator worker) and the baton CLI.
# Node 24 LTS (CI also tests Node 20: .ci/run, scripts/node24.sh).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY bin ./bin
COPY native ./native
COPY src ./src
COPY scripts ./scripts
COPY tsconfig.json ./
# --ignore-scripts: a node image needs no Temporal CLI (the server is its own service); the native
# modules are then built by name, from their bundled sources, against the image's own Node headers.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 zstd-napi && node scripts/build-native.mjs \
  && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/native/aes-gcm/build/Release/aes_gcm.node ./native/aes-gcm/build/Release/aes_gcm.node
COPY package.json ./
ENTRYPOINT ["node", "/app/bin/baton.js"]
CMD ["node", "--name", "node-1", "--config", "/etc/baton/baton.yaml"]
