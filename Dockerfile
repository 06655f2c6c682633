# A Baton node: the node process (backup service + coordinator worker) and the baton CLI.
# Node 24 LTS (CI also tests Node 20: .ci/run, scripts/node24.sh). No Docker engine on the build
# machine: test/integration/dockerfile.test.ts carries these steps out in a temp dir and runs the result.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.image.json ./
COPY bin ./bin
COPY native ./native
COPY src ./src
COPY scripts ./scripts
# --ignore-scripts skips `prepare` (it builds the tests and fetches a Temporal CLI; the server is its
# own service). Then the install scripts package.json's allowScripts approves are run by name, the
# native ones building from their bundled sources against this image's Node headers, and
# native/aes-gcm is built; `build:image` compiles src/ without test/ and bundles the workflows.
RUN npm ci --ignore-scripts \
  && npm rebuild better-sqlite3 zstd-napi @swc/core protobufjs \
  && node scripts/build-native.mjs \
  && npm run build:image \
  && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/native/aes-gcm/build/Release/aes_gcm.node ./native/aes-gcm/build/Release/aes_gcm.node
COPY --from=build /app/native/aes-gcm/build/Release/file_times.node ./native/aes-gcm/build/Release/file_times.node
COPY --from=build /app/native/aes-gcm/build/Release/copy_bytes.node ./native/aes-gcm/build/Release/copy_bytes.node
COPY --from=build /app/native/aes-gcm/build/Release/scrypt_romix.node ./native/aes-gcm/build/Release/scrypt_romix.node
COPY --from=build /app/native/aes-gcm/build/Release/stat_batch.node ./native/aes-gcm/build/Release/stat_batch.node
COPY package.json ./
# The base image's unprivileged user `node` (uid 1000). /san is the shared storage (a volume in
# docker-compose.yml; a fresh named volume takes the owner of the directory it mounts over).
RUN mkdir -p /san /etc/baton && chown 1000:1000 /san
USER 1000:1000
# JSON log lines even under `docker run -t`; each drive's record of this machine goes to ~/.local/state.
ENV BATON_LOG_PRETTY=0
ENTRYPOINT ["node", "/app/bin/baton.js"]
CMD ["node", "--name", "node-1", "--config", "/etc/baton/baton.yaml"]
