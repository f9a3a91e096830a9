# syntax=docker/dockerfile:1
# Beaconry's container image, used by docker-compose.yml. Two stages: the build stage installs every
# dependency and runs `npm run build` (esbuild bundles into dist/); the runtime stage keeps only
# dist/ and the production node_modules (native addons: uWebSockets.js, DuckDB, msgpackr-extract,
# and the IP-to-country database) and runs as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a source change does not re-run the install. `npm install` from the lock,
# not `npm ci`: see .ci/run for the npm 11 lock bug it avoids.
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    BEACONRY_HOST=0.0.0.0 \
    BEACONRY_PORT=8080 \
    BEACONRY_DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The code is owned by root and read-only for the service; only the data directory is writable.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080
CMD ["node", "dist/cli/beaconry.js", "start"]
