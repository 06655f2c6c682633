# A Baton node: the node process (backup service + coordinator worker) and the baton CLI.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY scripts ./scripts
COPY tsconfig.json ./
# --ignore-scripts: a node image needs no Temporal CLI (the server is its own service).
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY package.json ./
ENTRYPOINT ["node", "/app/bin/baton.js"]
CMD ["node", "--name", "node-1", "--config", "/etc/baton/baton.yaml"]
